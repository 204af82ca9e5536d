import { apiRequest, ApiResponse, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';
import { SIMULATED_NODE, simulatedKubelet } from '../controllers/simulated-kubelet.fixture';

describe('workload controllers across a scheduler kill', () => {
  let cluster: TestCluster;
  let kubelet: ReturnType<typeof simulatedKubelet>;
  const ns = 'failover';
  const deployments = `/apis/apps/v1/namespaces/${ns}/deployments`;
  const api = (method: string, p: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, p, body, type);
  const holder = async (): Promise<string | undefined> => {
    const res = await api('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/skiff-scheduler');
    return (res.body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
  };
  const scale = (replicas: number) =>
    api('PATCH', `${deployments}/web/scale`, { spec: { replicas } }, 'application/merge-patch+json');
  const podNames = async (): Promise<string[]> =>
    (
      (await api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`)).body as {
        items: { metadata: { name: string } }[];
      }
    ).items.map((p) => p.metadata.name);
  const settled = (replicas: number) =>
    eventually(
      async () => {
        const d = (await api('GET', `${deployments}/web`)).body as {
          metadata: { generation: number };
          status?: Record<string, number>;
        };
        const s = d.status ?? {};
        const ok =
          s.observedGeneration === d.metadata.generation &&
          s.replicas === replicas &&
          s.availableReplicas === replicas &&
          s.updatedReplicas === replicas;
        return ok && (await podNames()).length === replicas ? d : undefined;
      },
      90_000,
      `${replicas} available replicas`,
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

  it('a Deployment scaling 0 → 30 when the leader is killed ends with exactly 30 pods once the standby leads', async () => {
    const first = cluster.stack.services.get('scheduler')!;
    await eventually(
      async () => ((await holder()) === `scheduler-${first.child.pid}` ? true : undefined),
      20_000,
      'the first scheduler to lead',
    );
    const second = cluster.stack.addReplica('scheduler', { SKIFF_SCHEDULER_IDENTITY: 'scheduler-standby' });
    const created = await api('POST', deployments, {
      metadata: { name: 'web' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    expect(created.status).toBe(201);
    await eventually(
      async () =>
        ((await api('GET', `${deployments}/web`)).body as { status?: { observedGeneration?: number } }).status
          ?.observedGeneration,
      20_000,
      'the Deployment seen',
    );
    const rv = ((await api('GET', `/api/v1/namespaces/${ns}/pods`)).body as { metadata: { resourceVersion: string } })
      .metadata.resourceVersion;
    const watch = openWatch(cluster.stack, `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${rv}`);
    try {
      expect((await scale(30)).status).toBe(200);
      // Killed mid-burst: some pods are out, most are not.
      await eventually(async () => ((await podNames()).length >= 3 ? true : undefined), 20_000, 'the first pods');
      first.child.kill('SIGKILL');
      await first.exited;
      const midway = (await podNames()).length;
      await eventually(
        async () => ((await holder()) === 'scheduler-standby' ? true : undefined),
        40_000,
        'the standby to lead',
      );
      await cluster.stack.restart('scheduler'); // the killed one comes back as the standby
      await settled(30);
      const added = (): Set<string> =>
        new Set(
          watch.events
            .filter((e) => e.type === 'ADDED')
            .map((e) => (e.object as { metadata: { uid: string } }).metadata.uid),
        );
      expect(added().size).toBe(30);
      expect(midway).toBeLessThan(30);
      const rs = (
        (await api('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`)).body as {
          items: { spec: { replicas: number }; status: Record<string, number> }[];
        }
      ).items;
      expect(rs).toHaveLength(1);
      expect(rs[0].spec.replicas).toBe(30);
      expect(rs[0].status).toMatchObject({
        replicas: 30,
        fullyLabeledReplicas: 30,
        readyReplicas: 30,
        availableReplicas: 30,
      });

      // Only the leader acts: with the old leader back as a standby, a scale creates exactly the difference.
      // (Counted on the watch: Events are best effort, and the correlator throttles a ReplicaSet's 35 creates.)
      expect(await holder()).toBe('scheduler-standby');
      expect((await scale(35)).status).toBe(200);
      await settled(35);
      await new Promise((r) => setTimeout(r, 1000));
      expect(added().size).toBe(35);
      expect(second.child.exitCode).toBeNull();
    } finally {
      watch.close();
    }
  }, 180_000);
});
