import { KubeObject } from '@skiff/api-machinery';
import { ControllerContext, HORIZONTAL_POD_AUTOSCALERS, PODS } from '@skiff/controller-runtime';
import { KubeApiError, ResourceRef } from '@skiff/kube-client';
import type { HorizontalPodAutoscalerStatus } from '@skiff/kube-types';
import { FakeBatchApi, FakeClock } from '../jobs/fake-batch-api.fixture';
import { HorizontalPodAutoscalerReconciler } from './horizontal-pod-autoscaler.reconciler';

const NS = 'shop';
const APPS_DISCOVERY = {
  kind: 'APIResourceList',
  groupVersion: 'apps/v1',
  resources: [
    { name: 'deployments', kind: 'Deployment', namespaced: true },
    { name: 'deployments/scale', kind: 'Scale', namespaced: true },
  ],
};
const SCALE_PATH = `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`;
const METRICS_PATH = `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`;

function hpaObject(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'web', namespace: NS, generation: 2 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
      ...spec,
    },
  };
}

describe(HorizontalPodAutoscalerReconciler.name, () => {
  let clock: FakeClock;
  let api: FakeBatchApi;
  let ctx: ControllerContext;
  let controller: HorizontalPodAutoscalerReconciler;
  let target: { replicas: number; selector?: string } | undefined;
  let usage: Record<string, string>;
  let metricsDown: boolean;
  let scaleWrites: number[];
  let failScaleWrite: boolean;
  let requests: string[];

  const reconcile = async () => {
    api.sync();
    const result = await controller.reconcile(ctx, `${NS}/web`);
    api.sync();
    return result;
  };
  const status = () => api.get(HORIZONTAL_POD_AUTOSCALERS, NS, 'web')!.status as HorizontalPodAutoscalerStatus;
  const conditions = () => (status().conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`);
  const events = () => api.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const startedAgo = (ms: number) => new Date(clock.nowMs() - ms).toISOString();

  function addPod(name: string, opts: { cpuRequest?: string; memoryRequest?: string; phase?: string } = {}): void {
    const requests = {
      ...(opts.cpuRequest === undefined ? {} : { cpu: opts.cpuRequest }),
      ...(opts.memoryRequest === undefined ? {} : { memory: opts.memoryRequest }),
    };
    api.create(PODS, {
      metadata: { name, namespace: NS, labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests } }] },
      status: {
        phase: opts.phase ?? 'Running',
        startTime: startedAgo(10 * 60_000),
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: startedAgo(9 * 60_000) }],
      },
    });
  }

  function podMetrics(name: string, cpu: string, memory = '10Mi') {
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name, namespace: NS, creationTimestamp: new Date(clock.nowMs()).toISOString() },
      timestamp: new Date(clock.nowMs() - 5_000).toISOString(),
      window: '15s',
      containers: [{ name: 'app', usage: { cpu, memory } }],
    };
  }

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeBatchApi(clock);
    target = { replicas: 3, selector: 'app=web' };
    usage = {};
    metricsDown = false;
    scaleWrites = [];
    failScaleWrite = false;
    requests = [];
    const client = api.ctx.client;
    ctx = {
      ...api.ctx,
      client: {
        resource: (ref: ResourceRef) => client.resource(ref),
        request: async (method: string, path: string, body?: { spec: { replicas: number } }) => {
          requests.push(`${method} ${path}`);
          if (path === '/apis/apps/v1') return APPS_DISCOVERY;
          if (path === '/apis/apps')
            return { kind: 'APIGroup', name: 'apps', preferredVersion: { groupVersion: 'apps/v1' } };
          if (path === SCALE_PATH && target) {
            if (method === 'PUT') {
              if (failScaleWrite) throw new KubeApiError(409, 'Conflict', 'the object has been modified');
              scaleWrites.push(body!.spec.replicas);
              target.replicas = body!.spec.replicas;
            }
            return {
              kind: 'Scale',
              apiVersion: 'autoscaling/v1',
              metadata: { name: 'web', namespace: NS, resourceVersion: '7' },
              spec: { replicas: target.replicas },
              status: {
                replicas: target.replicas,
                ...(target.selector === undefined ? {} : { selector: target.selector }),
              },
            };
          }
          if (path.startsWith(METRICS_PATH) && !metricsDown)
            return { kind: 'PodMetricsList', items: Object.entries(usage).map(([n, cpu]) => podMetrics(n, cpu)) };
          if (path.startsWith(METRICS_PATH))
            throw new KubeApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
          throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
        },
      } as unknown as ControllerContext['client'],
    };
    controller = new HorizontalPodAutoscalerReconciler(clock, { hpaSyncSeconds: 15 });
    controller.begin(ctx);
  });

  it('scales a Deployment up from its pods CPU utilization, and reports status, conditions and the event', async () => {
    for (const [n, cpu] of [
      ['a', '900m'],
      ['b', '700m'],
      ['c', '500m'],
    ] as const) {
      addPod(n, { cpuRequest: '1' });
      usage[n] = cpu;
    }
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    expect(await reconcile()).toEqual({ requeueAfterMs: 15_000 });
    // 70% of requests against a 50% target: ceil(1.4 × 3) = 5.
    expect(scaleWrites).toEqual([5]);
    expect(requests).toContain(`GET ${METRICS_PATH}?labelSelector=app%3Dweb`);
    expect(events()).toEqual([
      'Normal SuccessfulRescale: New size: 5; reason: cpu resource utilization (percentage of request) above target',
    ]);
    const now = '2024-03-01T10:00:00Z';
    expect(status()).toEqual({
      observedGeneration: 2,
      lastScaleTime: now,
      currentReplicas: 3,
      desiredReplicas: 5,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '700m' } } },
      ],
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          lastTransitionTime: now,
          reason: 'SucceededRescale',
          message: 'the HPA controller was able to update the target scale to 5',
        },
        {
          type: 'ScalingActive',
          status: 'True',
          lastTransitionTime: now,
          reason: 'ValidMetricFound',
          message:
            'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
        },
        {
          type: 'ScalingLimited',
          status: 'False',
          lastTransitionTime: now,
          reason: 'DesiredWithinRange',
          message: 'the desired count is within the acceptable range',
        },
      ],
    });

    // A later look at steady usage: no write, conditions keep their transition times.
    clock.advance(15_000);
    for (const n of ['d', 'e']) {
      addPod(n, { cpuRequest: '1' });
      usage[n] = '500m';
    }
    for (const n of ['a', 'b', 'c']) usage[n] = '500m';
    await reconcile();
    expect(scaleWrites).toEqual([5]);
    expect(status()).toMatchObject({ currentReplicas: 5, desiredReplicas: 5, lastScaleTime: now });
    expect(conditions()).toEqual([
      'AbleToScale=True/ReadyForNewScale: recommended size matches current size',
      'ScalingActive=True/ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
      'ScalingLimited=False/DesiredWithinRange: the desired count is within the acceptable range',
    ]);
    expect(status().conditions!.map((c) => c.lastTransitionTime)).toEqual([now, now, now]);

    // Nothing changed since: no status write, whatever order the stored status's keys come in.
    api.edit(HORIZONTAL_POD_AUTOSCALERS, NS, 'web', (o) => {
      o.status = Object.fromEntries(Object.entries(o.status as object).reverse());
    });
    const rv = () => api.get(HORIZONTAL_POD_AUTOSCALERS, NS, 'web')!.metadata.resourceVersion;
    const before = rv();
    clock.advance(15_000);
    await reconcile();
    expect(rv()).toBe(before);
  });

  it('scales down only after the 5 minute stabilization window, with "All metrics below target"', async () => {
    target = { replicas: 4, selector: 'app=web' };
    for (const n of ['a', 'b', 'c', 'd']) {
      addPod(n, { cpuRequest: '500m' });
      usage[n] = '50m';
    }
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    await reconcile();
    // 10% of requests: 1 replica recommended, but the first look remembered 4.
    expect(scaleWrites).toEqual([]);
    expect(conditions()[0]).toBe(
      'AbleToScale=True/ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation',
    );
    clock.advance(5 * 60_000 + 1000);
    await reconcile();
    expect(scaleWrites).toEqual([1]);
    expect(events()).toEqual(['Normal SuccessfulRescale: New size: 1; reason: All metrics below target']);
  });

  it('enforces minReplicas and maxReplicas before looking at metrics', async () => {
    target = { replicas: 14, selector: 'app=web' };
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject({ minReplicas: 2, maxReplicas: 6 }));
    await reconcile();
    target.replicas = 1;
    await reconcile();
    expect(scaleWrites).toEqual([6, 2]);
    expect(events()).toEqual([
      'Normal SuccessfulRescale: New size: 6; reason: Current number of replicas above Spec.MaxReplicas',
      'Normal SuccessfulRescale: New size: 2; reason: Current number of replicas below Spec.MinReplicas',
    ]);
    expect(requests.filter((r) => r.includes('metrics.k8s.io'))).toEqual([]);
    expect(status()).toMatchObject({ currentReplicas: 1, desiredReplicas: 2 });
  });

  it('finds the target by group and kind when its version is no longer served', async () => {
    target = { replicas: 12, selector: 'app=web' };
    api.create(
      HORIZONTAL_POD_AUTOSCALERS,
      hpaObject({ scaleTargetRef: { apiVersion: 'apps/v1beta2', kind: 'Deployment', name: 'web' } }),
    );
    await reconcile();
    expect(scaleWrites).toEqual([10]);
  });

  it('does nothing to a target scaled to zero (ScalingDisabled)', async () => {
    target = { replicas: 0, selector: 'app=web' };
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    await reconcile();
    expect(scaleWrites).toEqual([]);
    expect(conditions()).toEqual([
      "AbleToScale=True/SucceededGetScale: the HPA controller was able to get the target's current scale",
      'ScalingActive=False/ScalingDisabled: scaling is disabled since the replica count of the target is zero',
    ]);
    expect(status()).toMatchObject({ currentReplicas: 0, desiredReplicas: 0 });
  });

  it('reports FailedGetResourceMetric when the metrics API does not answer, and keeps the size', async () => {
    addPod('a', { cpuRequest: '1' });
    metricsDown = true;
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    expect(await reconcile()).toEqual({ requeueAfterMs: 15_000 });
    const inner =
      'failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request';
    expect(events()).toEqual([
      `Warning FailedGetResourceMetric: ${inner}`,
      `Warning FailedComputeMetricsReplicas: invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${inner}`,
    ]);
    expect(conditions()).toEqual([
      "AbleToScale=True/SucceededGetScale: the HPA controller was able to get the target's current scale",
      `ScalingActive=False/FailedGetResourceMetric: the HPA was unable to compute the replica count: ${inner}`,
    ]);
    expect(status()).toMatchObject({ currentReplicas: 3, desiredReplicas: 0, currentMetrics: [{ type: '' }] });
    expect(scaleWrites).toEqual([]);
  });

  it('names the container without a request (missing request)', async () => {
    addPod('a', { memoryRequest: '64Mi' });
    usage.a = '100m';
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    await reconcile();
    expect(events()[0]).toBe(
      'Warning FailedGetResourceMetric: failed to get cpu utilization: missing request for cpu in container app of Pod a',
    );
  });

  it('scales on an AverageValue target and a ContainerResource Utilization target, taking the higher', async () => {
    for (const n of ['a', 'b', 'c']) {
      addPod(n, { cpuRequest: '1', memoryRequest: '64Mi' });
      usage[n] = '300m';
    }
    api.create(
      HORIZONTAL_POD_AUTOSCALERS,
      hpaObject({
        metrics: [
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '5Mi' } } },
          {
            type: 'ContainerResource',
            containerResource: {
              name: 'cpu',
              container: 'app',
              target: { type: 'Utilization', averageUtilization: 60 },
            },
          },
        ],
      }),
    );
    await reconcile();
    // memory 10Mi each against 5Mi: 6; cpu 30% against 60%: 2. The higher proposal wins.
    expect(scaleWrites).toEqual([6]);
    expect(events()).toEqual(['Normal SuccessfulRescale: New size: 6; reason: memory resource above target']);
    expect(status().currentMetrics).toEqual([
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '10485760' } } },
      {
        type: 'ContainerResource',
        containerResource: { name: 'cpu', container: 'app', current: { averageUtilization: 30, averageValue: '300m' } },
      },
    ]);
  });

  it('reports FailedGetScale for a kind discovery does not know, and InvalidSelector for a scale without a selector', async () => {
    api.create(
      HORIZONTAL_POD_AUTOSCALERS,
      hpaObject({ scaleTargetRef: { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' } }),
    );
    await reconcile();
    expect(events()).toEqual(['Warning FailedGetScale: no matches for kind "Widget" in group "example.com"']);
    expect(conditions()).toEqual([
      'AbleToScale=False/FailedGetScale: the HPA controller was unable to get the target\'s current scale: no matches for kind "Widget" in group "example.com"',
    ]);

    api.edit(HORIZONTAL_POD_AUTOSCALERS, NS, 'web', (o) => (o.spec = hpaObject().spec));
    target = { replicas: 2 };
    api.events.length = 0;
    await reconcile();
    expect(events()).toEqual([
      'Warning SelectorRequired: selector is required',
      'Warning FailedComputeMetricsReplicas: selector is required',
    ]);
    expect(conditions()).toContain("ScalingActive=False/InvalidSelector: the HPA target's scale is missing a selector");
  });

  it('reports FailedRescale and FailedUpdateScale when the scale write fails', async () => {
    target = { replicas: 20, selector: 'app=web' };
    failScaleWrite = true;
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    await reconcile();
    expect(events()).toEqual([
      'Warning FailedRescale: New size: 10; reason: Current number of replicas above Spec.MaxReplicas; error: the object has been modified',
    ]);
    expect(conditions()).toEqual([
      'AbleToScale=False/FailedUpdateScale: the HPA controller was unable to update the target scale: the object has been modified',
    ]);
    expect(status()).toMatchObject({ currentReplicas: 20, desiredReplicas: 0 });
  });

  it('refuses pods two HPAs select (AmbiguousSelector)', async () => {
    addPod('a', { cpuRequest: '1' });
    usage.a = '500m';
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    api.create(HORIZONTAL_POD_AUTOSCALERS, { ...hpaObject(), metadata: { name: 'web-2', namespace: NS } });
    api.sync();
    await controller.reconcile(ctx, `${NS}/web-2`);
    await reconcile();
    expect(conditions()).toContain(
      `ScalingActive=False/AmbiguousSelector: pods by selector app=web are controlled by multiple HPAs: [${NS}/web ${NS}/web-2]`,
    );
  });

  it('forgets an HPA once it is deleted, and looks again only on spec changes', async () => {
    api.create(HORIZONTAL_POD_AUTOSCALERS, hpaObject());
    api.sync();
    expect(api.enqueued).toEqual([`${NS}/web`]);
    await reconcile(); // writes status: not a reason to look again
    expect(api.enqueued).toEqual([`${NS}/web`]);
    api.edit(HORIZONTAL_POD_AUTOSCALERS, NS, 'web', (o) => (o.metadata.generation = 3));
    api.sync();
    expect(api.enqueued).toEqual([`${NS}/web`, `${NS}/web`]);
    await ctx.client.resource(HORIZONTAL_POD_AUTOSCALERS).delete(NS, 'web');
    expect(await reconcile()).toBeUndefined();
  });
});
