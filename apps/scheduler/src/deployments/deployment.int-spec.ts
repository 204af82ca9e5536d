import { apiRequest, ApiResponse, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { PodView, SIMULATED_NODE, simulatedKubelet } from '../controllers/simulated-kubelet.fixture';

interface ReplicaSetView {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { replicas: number };
}

interface DeploymentView {
  metadata: { generation: number; annotations?: Record<string, string> };
  spec: { template: { spec: { containers: { image: string }[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason: string }[];
  };
}

describe('Deployment controller', () => {
  let cluster: TestCluster;
  let kubelet: ReturnType<typeof simulatedKubelet>;
  const ns = 'deploy';
  const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
  const api = (method: string, p: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, p, body, type);
  const kubectl = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const deployment = (
    name: string,
    replicas: number,
    spec: Record<string, unknown> = {},
    labels: Record<string, string> = {},
  ) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations: { 'kubernetes.io/change-cause': 'first' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox:1.36' }] },
      },
      ...spec,
    },
  });
  const get = async (name: string) => (await api('GET', `${path}/${name}`)).body as DeploymentView;
  const replicaSets = async (app: string) =>
    (
      (await api('GET', `/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=app%3D${app}`)).body as {
        items: ReplicaSetView[];
      }
    ).items;
  const setImage = (name: string, image: string, cause: string) =>
    api(
      'PATCH',
      `${path}/${name}`,
      {
        metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
        spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
      },
      'application/strategic-merge-patch+json',
    );
  const rolledOut = (name: string, replicas: number) =>
    eventually(
      async () => {
        const d = await get(name);
        const s = d.status ?? {};
        return s.observedGeneration === d.metadata.generation &&
          s.updatedReplicas === replicas &&
          s.replicas === replicas &&
          s.availableReplicas === replicas
          ? d
          : undefined;
      },
      30_000,
      `${name} rolled out`,
    );

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    kubelet = simulatedKubelet(cluster, ns);
    kubelet.start({ autoReady: true });
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  }, 90_000);

  afterAll(async () => {
    kubelet?.stop();
    await cluster?.stop();
  });

  it('rolls out through a pod-template-hash ReplicaSet; rollout status, history and undo work', async () => {
    expect((await api('POST', path, deployment('web', 3))).status).toBe(201);
    const status = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    const [first] = await replicaSets('web');
    expect(first.metadata.name).toBe(`web-${first.metadata.labels['pod-template-hash']}`);
    expect(first.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'kubernetes.io/change-cause': 'first',
    });
    const d = await get('web');
    expect(d.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
        expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }),
      ]),
    );

    await setImage('web', 'busybox:latest', 'to latest');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    await rolledOut('web', 3);
    const rss = await replicaSets('web');
    expect(rss.map((rs) => rs.spec.replicas).sort()).toEqual([0, 3]);
    const history = await kubectl('rollout', 'history', 'deployment/web');
    expect(history.stdout).toMatch(/1\s+first/);
    expect(history.stdout).toMatch(/2\s+to latest/);

    const undo = await kubectl('rollout', 'undo', 'deployment/web');
    expect(undo.code).toBe(0);
    await eventually(
      async () => ((await get('web')).spec.template.spec.containers[0].image === 'busybox:1.36' ? true : undefined),
      10_000,
      'the template restored',
    );
    await rolledOut('web', 3);
    const back = (await replicaSets('web')).find((rs) => rs.metadata.name === first.metadata.name)!;
    expect(back.spec.replicas).toBe(3);
    expect(back.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=Deployment,reason=ScalingReplicaSet',
      '-o',
      'jsonpath={.items[*].message}',
    );
    expect(events.stdout).toMatch(/Scaled up replica set web-\w+ from 0 to \d/);
    expect(events.stdout).toMatch(/Scaled down replica set web-\w+ from \d to \d/);
  });

  it('scales with kubectl scale, pauses and resumes, and restarts', async () => {
    expect((await kubectl('scale', 'deployment/web', '--replicas=5')).code).toBe(0);
    await rolledOut('web', 5);
    expect((await kubectl('rollout', 'pause', 'deployment/web')).code).toBe(0);
    await setImage('web', 'busybox:latest', 'paused change');
    await eventually(
      async () =>
        (await get('web')).status?.conditions?.some((c) => c.reason === 'DeploymentPaused') ? true : undefined,
      10_000,
      'Progressing DeploymentPaused',
    );
    expect((await replicaSets('web')).filter((rs) => rs.spec.replicas > 0)).toHaveLength(1);
    expect((await kubectl('rollout', 'resume', 'deployment/web')).code).toBe(0);
    await rolledOut('web', 5);
    const before = (await replicaSets('web')).length;
    expect((await kubectl('rollout', 'restart', 'deployment/web')).code).toBe(0);
    await eventually(
      async () => ((await replicaSets('web')).length === before + 1 ? true : undefined),
      10_000,
      'a ReplicaSet for the restart',
    );
    await rolledOut('web', 5);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    await api('POST', path, deployment('short', 1, { revisionHistoryLimit: 1 }));
    await rolledOut('short', 1);
    for (const [i, image] of ['busybox:latest', 'busybox:1.36', 'busybox:latest'].entries()) {
      await api(
        'PATCH',
        `${path}/short`,
        {
          spec: {
            template: { metadata: { annotations: { n: String(i) } }, spec: { containers: [{ name: 'c', image }] } },
          },
        },
        'application/strategic-merge-patch+json',
      );
      await rolledOut('short', 1);
    }
    await eventually(
      async () => ((await replicaSets('short')).length === 2 ? true : undefined),
      15_000,
      'one old ReplicaSet kept',
    );
  });

  it('Recreate removes every old pod before the new ReplicaSet gets any', async () => {
    await api('POST', path, deployment('re', 2, { strategy: { type: 'Recreate' } }));
    await rolledOut('re', 2);
    const oldPods = (await kubelet.pods('app=re')).map((p) => p.metadata.name);
    const seen: PodView[][] = [];
    const sampler = setInterval(() => void kubelet.pods('app=re').then((p) => seen.push(p)), 50);
    try {
      await setImage('re', 'busybox:latest', 'recreate');
      await rolledOut('re', 2);
    } finally {
      clearInterval(sampler);
    }
    for (const pods of seen) {
      const names = pods.map((p) => p.metadata.name);
      const mixed = names.some((n) => oldPods.includes(n)) && names.some((n) => !oldPods.includes(n));
      expect(mixed).toBe(false);
    }
  });

  it('rolls out an image and replica change made together, and a rollout after a quiet spell longer than the deadline', async () => {
    await api('POST', path, deployment('both', 2, { progressDeadlineSeconds: 1 }));
    await rolledOut('both', 2);
    await new Promise((r) => setTimeout(r, 2500)); // longer than progressDeadlineSeconds: a finished rollout must not time out
    await api(
      'PATCH',
      `${path}/both`,
      { spec: { replicas: 4, template: { spec: { containers: [{ name: 'c', image: 'busybox:latest' }] } } } },
      'application/strategic-merge-patch+json',
    );
    await rolledOut('both', 4);
    const d = await get('both');
    expect(d.spec.template.spec.containers[0].image).toBe('busybox:latest');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
    expect((await replicaSets('both')).map((rs) => rs.spec.replicas).sort()).toEqual([0, 4]);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await kubectl('scale', 'deployment/both', '--replicas=5')).code).toBe(0);
    await rolledOut('both', 5);
    expect((await kubectl('rollout', 'status', 'deployment/both', '--timeout=20s')).code).toBe(0);
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready, and rollout status fails', async () => {
    await api('POST', path, deployment('stuck', 1, { progressDeadlineSeconds: 2 }, { 'simulated/stuck': 'yes' }));
    await eventually(
      async () =>
        (await get('stuck')).status?.conditions?.some(
          (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
        )
          ? true
          : undefined,
      20_000,
      'ProgressDeadlineExceeded',
    );
    const status = await kubectl('rollout', 'status', 'deployment/stuck', '--timeout=20s');
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('deployment "stuck" exceeded its progress deadline');
  });

  it("kubectl delete removes the Deployment's ReplicaSets and pods", async () => {
    expect((await kubectl('delete', 'deployment', 'web', '--wait=true')).code).toBe(0);
    await eventually(
      async () =>
        (await replicaSets('web')).length === 0 && (await kubelet.pods('app=web')).length === 0 ? true : undefined,
      20_000,
      'ReplicaSets and pods collected',
    );
  });
});
