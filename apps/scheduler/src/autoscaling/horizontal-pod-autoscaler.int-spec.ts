import { apiRequest, ApiResponse, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { SIMULATED_NODE } from '../controllers/simulated-kubelet.fixture';

interface HpaView {
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

interface EventView {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.hpa.example.com' },
  spec: {
    group: 'hpa.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
              status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
            },
          },
        },
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.selector',
          },
        },
      },
    ],
  },
};

describe('HorizontalPodAutoscaler controller (API server + scheduler, no metrics)', () => {
  let cluster: TestCluster;
  const ns = 'autoscaling';
  const deployments = `/apis/apps/v1/namespaces/${ns}/deployments`;
  const hpas = `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`;
  const widgets = `/apis/hpa.example.com/v1/namespaces/${ns}/widgets`;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);
  const hpa = (name: string, target: { apiVersion: string; kind: string; name: string }, min: number, max: number) => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: target,
      minReplicas: min,
      maxReplicas: max,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    },
  });
  const specReplicas = async (path: string) =>
    ((await api('GET', path)).body as { spec: { replicas: number } }).spec.replicas;
  const replicasBecome = (path: string, n: number) =>
    eventually(async () => ((await specReplicas(path)) === n ? true : undefined), 20_000, `${path} at ${n} replicas`);
  const events = async (name: string) =>
    ((await api('GET', `/api/v1/namespaces/${ns}/events`)).body as { items: EventView[] }).items.filter(
      (e) => e.involvedObject.kind === 'HorizontalPodAutoscaler' && e.involvedObject.name === name,
    );

  beforeAll(async () => {
    cluster = await startTestCluster({ SKIFF_HPA_SYNC_SECONDS: '1' }, ['api-gateway', 'scheduler']);
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    expect((await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd)).status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('raises a Deployment to minReplicas and lowers it to maxReplicas', async () => {
    const created = await api('POST', deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            nodeName: SIMULATED_NODE,
            containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }],
          },
        },
      },
    });
    expect(created.status).toBe(201);
    expect(
      (await api('POST', hpas, hpa('web', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, 2, 4))).status,
    ).toBe(201);
    await replicasBecome(`${deployments}/web`, 2);

    // Scaled past maxReplicas by hand, the HPA brings it back.
    const scaled = await cluster.kubectl(['scale', 'deployment/web', '--replicas=7', '-n', ns]);
    expect(scaled.stderr).toBe('');
    await replicasBecome(`${deployments}/web`, 4);
    const reasons = (await events('web')).filter((e) => e.reason === 'SuccessfulRescale').map((e) => e.message);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'New size: 2; reason: Current number of replicas below Spec.MinReplicas',
        'New size: 4; reason: Current number of replicas above Spec.MaxReplicas',
      ]),
    );
    const status = await eventually(
      async () => {
        const s = ((await api('GET', `${hpas}/web`)).body as HpaView).status;
        return s?.currentReplicas === 7 && s.desiredReplicas === 4 ? s : undefined;
      },
      10_000,
      'the status of the rescale',
    );
    expect(status.lastScaleTime).toBeDefined();
    expect(status.observedGeneration).toBe(1);
  });

  it('with replicas in range and no metrics to be had, reports FailedGetResourceMetric and keeps the size', async () => {
    const status = await eventually(
      async () => {
        const s = ((await api('GET', `${hpas}/web`)).body as HpaView).status;
        return s?.currentReplicas === 4 && s.conditions?.some((c) => c.type === 'ScalingActive') ? s : undefined;
      },
      20_000,
      'a look at the metrics',
    );
    const active = status.conditions!.find((c) => c.type === 'ScalingActive')!;
    expect(active).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect(active.message).toMatch(
      /^the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: /,
    );
    expect(status.conditions!.find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'True',
      reason: 'SucceededGetScale',
    });
    const warnings = (await events('web')).filter((e) => e.type === 'Warning').map((e) => e.reason);
    expect(warnings).toEqual(expect.arrayContaining(['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']));
    expect(await specReplicas(`${deployments}/web`)).toBe(4);

    const table = await cluster.kubectl(['get', 'hpa', '-n', ns]);
    expect(table.stderr).toBe('');
    const [header, row] = table.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(row).toMatch(/^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+2\s+4\s+4\s+\d+s$/);
  });

  it('scales a custom resource through its scale subresource', async () => {
    expect(
      (
        await api('POST', widgets, {
          apiVersion: 'hpa.example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w' },
          spec: { replicas: 1 },
        })
      ).status,
    ).toBe(201);
    // This one is written as autoscaling/v1: the controller sees it as v2.
    const v1 = await api('POST', `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers`, {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'widget' },
      spec: {
        scaleTargetRef: { apiVersion: 'hpa.example.com/v1', kind: 'Widget', name: 'w' },
        minReplicas: 3,
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 50,
      },
    });
    expect(v1.status).toBe(201);
    await replicasBecome(`${widgets}/w`, 3);
    // Within range, its scale has no selector: nothing to measure pods by.
    const status = await eventually(
      async () => {
        const c = ((await api('GET', `${hpas}/widget`)).body as HpaView).status?.conditions;
        return c?.find((x) => x.type === 'ScalingActive' && x.reason === 'InvalidSelector');
      },
      20_000,
      'InvalidSelector',
    );
    expect(status).toMatchObject({ status: 'False', message: "the HPA target's scale is missing a selector" });
  });

  it('reports FailedGetScale for a target that does not exist', async () => {
    expect(
      (await api('POST', hpas, hpa('ghost', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ghost' }, 1, 3)))
        .status,
    ).toBe(201);
    const able = await eventually(
      async () => {
        const c = ((await api('GET', `${hpas}/ghost`)).body as HpaView).status?.conditions;
        return c?.find((x) => x.type === 'AbleToScale' && x.status === 'False');
      },
      20_000,
      'FailedGetScale',
    );
    expect(able).toMatchObject({ reason: 'FailedGetScale' });
    expect(able.message).toMatch(
      /^the HPA controller was unable to get the target's current scale: .*ghost.*not found/,
    );
  });
});
