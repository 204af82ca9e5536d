import { apiRequest, ApiResponse, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { PodView, SIMULATED_NODE, simulatedKubelet } from '../controllers/simulated-kubelet.fixture';

interface ReplicaSetView {
  metadata: { uid: string; generation: number };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    fullyLabeledReplicas?: number;
    observedGeneration?: number;
  };
}

describe('ReplicaSet controller and garbage collector', () => {
  let cluster: TestCluster;
  let kubelet: ReturnType<typeof simulatedKubelet>;
  const ns = 'rs';
  const rsPath = `/apis/apps/v1/namespaces/${ns}/replicasets`;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);
  const replicaSet = (name: string, replicas: number, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox' }] },
      },
      ...extra,
    },
  });
  const rsStatus = async (name: string) =>
    ((await api('GET', `${rsPath}/${name}`)).body as ReplicaSetView).status ?? {};
  const live = (pods: PodView[]) => pods.filter((p) => !p.metadata.deletionTimestamp);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    kubelet = simulatedKubelet(cluster, ns);
    kubelet.start();
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  }, 90_000);

  afterAll(async () => {
    kubelet?.stop();
    await cluster?.stop();
  });

  it('creates replicas pods it controls, reports status, and replaces a deleted pod', async () => {
    expect((await api('POST', rsPath, replicaSet('web', 3))).status).toBe(201);
    const pods = await eventually(
      async () => {
        const list = live(await kubelet.pods('app=web'));
        return list.length === 3 ? list : undefined;
      },
      20_000,
      '3 pods',
    );
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ReplicaSet', name: 'web', controller: true, blockOwnerDeletion: true }),
      ]);
    }
    await kubelet.running(pods[0].metadata.name);
    await kubelet.running(pods[1].metadata.name);
    await eventually(
      async () => {
        const s = await rsStatus('web');
        return s.replicas === 3 && s.readyReplicas === 2 && s.availableReplicas === 2 && s.observedGeneration === 1
          ? s
          : undefined;
      },
      15_000,
      'status 3 replicas, 2 ready',
    );
    await api('DELETE', `/api/v1/namespaces/${ns}/pods/${pods[2].metadata.name}`);
    const after = await eventually(
      async () => {
        const list = live(await kubelet.pods('app=web'));
        return list.length === 3 && !list.some((p) => p.metadata.name === pods[2].metadata.name) ? list : undefined;
      },
      20_000,
      'a replacement pod',
    );
    expect(after.map((p) => p.metadata.name)).toEqual(
      expect.arrayContaining([pods[0].metadata.name, pods[1].metadata.name]),
    );
    const events = await cluster.kubectl([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=web,reason=SuccessfulCreate',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events.stdout).toMatch(/Created pod: web-/);
  });

  it('scales down deleting not-ready pods before ready ones', async () => {
    const before = live(await kubelet.pods('app=web'));
    const ready = before
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata.name);
    expect(ready).toHaveLength(2);
    expect(
      (await api('PATCH', `${rsPath}/web/scale`, { spec: { replicas: 2 } }, 'application/merge-patch+json')).status,
    ).toBe(200);
    const after = await eventually(
      async () => {
        const list = live(await kubelet.pods('app=web'));
        return list.length === 2 ? list : undefined;
      },
      20_000,
      '2 pods',
    );
    expect(after.map((p) => p.metadata.name).sort()).toEqual(ready.sort());
    await eventually(
      async () => ((await rsStatus('web')).replicas === 2 ? true : undefined),
      10_000,
      'status 2 replicas',
    );
  });

  it('adopts a matching orphan instead of creating, and releases a pod whose labels no longer match', async () => {
    const podsPath = `/api/v1/namespaces/${ns}/pods`;
    await api('POST', podsPath, {
      metadata: { name: 'stray', labels: { app: 'lone' } },
      spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox' }] },
    });
    await api('POST', rsPath, replicaSet('lone', 1));
    const adopted = await eventually(
      async () => {
        const p = (await api('GET', `${podsPath}/stray`)).body as PodView;
        return p.metadata.ownerReferences?.some((r) => r.name === 'lone' && r.controller) ? p : undefined;
      },
      15_000,
      'the orphan adopted',
    );
    expect(adopted.metadata.ownerReferences).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(live(await kubelet.pods('app=lone')).map((p) => p.metadata.name)).toEqual(['stray']);

    await api(
      'PATCH',
      `${podsPath}/stray`,
      { metadata: { labels: { app: 'gone-astray' } } },
      'application/merge-patch+json',
    );
    await eventually(
      async () => {
        const p = (await api('GET', `${podsPath}/stray`)).body as PodView;
        return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
      },
      15_000,
      'the pod released',
    );
    await eventually(
      async () => (live(await kubelet.pods('app=lone')).length === 1 ? true : undefined),
      15_000,
      'a new pod for lone',
    );
  });

  it("deletes a ReplicaSet's pods on background deletion and keeps them on orphan deletion", async () => {
    await api('DELETE', `${rsPath}/lone`);
    await eventually(
      async () => (live(await kubelet.pods('app=lone')).length === 0 ? true : undefined),
      20_000,
      'the pods collected',
    );

    await api('POST', rsPath, replicaSet('kept', 2));
    await eventually(
      async () => (live(await kubelet.pods('app=kept')).length === 2 ? true : undefined),
      20_000,
      '2 pods',
    );
    expect((await cluster.kubectl(['delete', 'rs', 'kept', '-n', ns, '--cascade=orphan'])).code).toBe(0);
    await eventually(
      async () => ((await api('GET', `${rsPath}/kept`)).status === 404 ? true : undefined),
      15_000,
      'the ReplicaSet gone',
    );
    const orphans = await eventually(
      async () => {
        const list = live(await kubelet.pods('app=kept'));
        return list.length === 2 && list.every((p) => (p.metadata.ownerReferences ?? []).length === 0)
          ? list
          : undefined;
      },
      15_000,
      'the pods orphaned',
    );
    expect(orphans).toHaveLength(2);
  });

  it('deletes dependents first on foreground deletion', async () => {
    await api('POST', rsPath, replicaSet('fg', 2));
    await eventually(
      async () => (live(await kubelet.pods('app=fg')).length === 2 ? true : undefined),
      20_000,
      '2 pods',
    );
    const res = await cluster.kubectl(['delete', 'rs', 'fg', '-n', ns, '--cascade=foreground', '--wait=true']);
    expect(res.code).toBe(0);
    // kubectl returned once the ReplicaSet was gone, and foreground means its pods went first.
    expect(await kubelet.pods('app=fg')).toHaveLength(0);
  });

  it("keeps a dependent that another owner still holds, dropping only the deleted owner's reference", async () => {
    const a = (await api('POST', rsPath, replicaSet('owner-a', 0))).body as ReplicaSetView & {
      metadata: { name: string };
    };
    const b = (await api('POST', rsPath, replicaSet('owner-b', 0))).body as ReplicaSetView & {
      metadata: { name: string };
    };
    const ref = (o: ReplicaSetView & { metadata: { name: string } }) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: o.metadata.name,
      uid: o.metadata.uid,
      blockOwnerDeletion: true,
    });
    const cms = `/api/v1/namespaces/${ns}/configmaps`;
    expect((await api('POST', cms, { metadata: { name: 'shared', ownerReferences: [ref(a), ref(b)] } })).status).toBe(
      201,
    );
    expect(
      (await cluster.kubectl(['delete', 'rs', 'owner-a', '-n', ns, '--cascade=foreground', '--wait=true'])).code,
    ).toBe(0);
    const cm = await eventually(
      async () => {
        const res = await api('GET', `${cms}/shared`);
        const refs =
          (res.body as { metadata: { ownerReferences?: { name: string }[] } }).metadata.ownerReferences ?? [];
        return res.status === 200 && refs.length === 1 ? refs : undefined;
      },
      15_000,
      'the reference to owner-a dropped',
    );
    expect(cm.map((r) => r.name)).toEqual(['owner-b']);
    await api('DELETE', `${rsPath}/owner-b`);
    await eventually(
      async () => ((await api('GET', `${cms}/shared`)).status === 404 ? true : undefined),
      15_000,
      'the ConfigMap collected with its last owner',
    );
  });

  // Last: it stops the cluster's scheduler.
  it('collects pods orphaned while no scheduler ran, once one runs again', async () => {
    await api('POST', rsPath, replicaSet('while-away', 2));
    await eventually(
      async () => (live(await kubelet.pods('app=while-away')).length === 2 ? true : undefined),
      20_000,
      '2 pods',
    );
    await cluster.stack.services.get('scheduler')!.stop();
    expect((await api('DELETE', `${rsPath}/while-away`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect(live(await kubelet.pods('app=while-away'))).toHaveLength(2);
    await cluster.stack.restart('scheduler');
    await eventually(
      async () => ((await kubelet.pods('app=while-away')).length === 0 ? true : undefined),
      40_000,
      'the orphans collected',
    );
  }, 90_000);
});
