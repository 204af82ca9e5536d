import { apiRequest, ApiResponse, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { PodView, SIMULATED_NODE, simulatedKubelet } from '../controllers/simulated-kubelet.fixture';

interface BudgetView {
  metadata: { generation: number; resourceVersion: string };
  status?: {
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    conditions?: { type: string; status: string; reason: string }[];
  };
}

interface StatusView {
  status: string;
  code: number;
  reason?: string;
  message?: string;
  details?: { causes?: { reason: string; message: string }[]; retryAfterSeconds?: number };
}

describe('Disruption controller, pods/eviction and ReplicationControllers (API server + scheduler)', () => {
  let cluster: TestCluster;
  let kubelet: ReturnType<typeof simulatedKubelet>;
  const ns = 'disruption';
  const rcPath = `/api/v1/namespaces/${ns}/replicationcontrollers`;
  const pdbPath = `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
  const podsPath = `/api/v1/namespaces/${ns}/pods`;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);
  const evict = (pod: string, body: Record<string, unknown> = {}) =>
    api('POST', `${podsPath}/${pod}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: pod, namespace: ns },
      ...body,
    });
  const budget = async (name: string) => (await api('GET', `${pdbPath}/${name}`)).body as BudgetView;
  const live = (pods: PodView[]) => pods.filter((p) => !p.metadata.deletionTimestamp);
  const ready = (p: PodView) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  const replicationController = (name: string, replicas: number) => ({
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name },
    spec: {
      replicas,
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  });
  /** Plays the kubelet for every pod of `app` not yet running, and waits for `n` ready pods. */
  const readyPods = async (app: string, n: number): Promise<PodView[]> =>
    eventually(
      async () => {
        const pods = live(await kubelet.pods(`app=${app}`));
        for (const p of pods) if (!ready(p)) await kubelet.running(p.metadata.name);
        const now = live(await kubelet.pods(`app=${app}`));
        return now.length === n && now.every(ready) ? now : undefined;
      },
      20_000,
      `${n} ready pods of ${app}`,
    );
  const budgetSettled = (name: string, want: Partial<NonNullable<BudgetView['status']>>) =>
    eventually(
      async () => {
        const b = await budget(name);
        const s = b.status ?? {};
        const ok =
          s.observedGeneration === b.metadata.generation &&
          Object.entries(want).every(([k, v]) => JSON.stringify(s[k as keyof typeof s]) === JSON.stringify(v));
        return ok ? b : undefined;
      },
      20_000,
      `budget ${name} at ${JSON.stringify(want)}`,
    );

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    kubelet = simulatedKubelet(cluster, ns);
    kubelet.start(); // finishes graceful deletions; pods become ready only when the spec says so
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  }, 90_000);

  afterAll(async () => {
    kubelet?.stop();
    await cluster?.stop();
  });

  it('a ReplicationController keeps its replicas with its own status, and scales through /scale', async () => {
    const created = await api('POST', rcPath, replicationController('web', 3));
    expect(created.status).toBe(201);
    // As upstream's defaulting: the selector and the labels come from the template.
    expect(created.body).toMatchObject({
      metadata: { labels: { app: 'web' } },
      spec: { selector: { app: 'web' } },
      status: { replicas: 0 },
    });
    const pods = await readyPods('web', 3);
    for (const p of pods)
      expect(p.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ReplicationController', name: 'web', controller: true }),
      ]);
    await eventually(
      async () => {
        const s = ((await api('GET', `${rcPath}/web`)).body as { status?: Record<string, number> }).status ?? {};
        return s.replicas === 3 &&
          s.readyReplicas === 3 &&
          s.availableReplicas === 3 &&
          s.fullyLabeledReplicas === 3 &&
          s.observedGeneration === 1
          ? s
          : undefined;
      },
      15_000,
      'RC status 3/3',
    );
    const scale = await api('GET', `${rcPath}/web/scale`);
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=web' },
    });
    expect(
      (await api('PATCH', `${rcPath}/web/scale`, { spec: { replicas: 4 } }, 'application/merge-patch+json')).status,
    ).toBe(200);
    await readyPods('web', 4);
    expect(
      (await api('PATCH', `${rcPath}/web/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json')).status,
    ).toBe(200);
    await eventually(
      async () => (live(await kubelet.pods('app=web')).length === 3 ? true : undefined),
      15_000,
      'back to 3 pods',
    );
  });

  it('computes the budget from the pods, and an eviction takes the allowed disruption or gets 429', async () => {
    expect(
      (
        await api('POST', pdbPath, {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'web' },
          spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
        })
      ).status,
    ).toBe(201);
    await budgetSettled('web', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
    const [first, second] = (await readyPods('web', 3)).map((p) => p.metadata.name);

    const ok = await evict(first);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ kind: 'Status', status: 'Success' });
    // The eviction took the disruption in the budget's status before the pod went.
    const after = await budget('web');
    expect(after.status?.disruptionsAllowed).toBe(0);
    await eventually(
      async () => ((await api('GET', `${podsPath}/${first}`)).status === 404 ? true : undefined),
      15_000,
      'the evicted pod gone',
    );

    // Its replacement is not ready (this spec plays a kubelet that has not started it): the budget is spent.
    await budgetSettled('web', { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 });
    const refused = await evict(second);
    expect(refused.status).toBe(429);
    expect(refused.body as StatusView).toMatchObject({
      status: 'Failure',
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          { reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' },
        ],
      },
    });
    expect((await api('GET', `${podsPath}/${second}`)).status).toBe(200);
    const b = await budget('web');
    expect(b.status?.conditions).toEqual([
      expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }),
    ]);
  });

  it('lets only one of two concurrent evictions take the last allowed disruption', async () => {
    const pods = await readyPods('web', 3);
    await budgetSettled('web', { currentHealthy: 3, disruptionsAllowed: 1 });
    const [a, b] = await Promise.all([evict(pods[0].metadata.name), evict(pods[1].metadata.name)]);
    expect([a.status, b.status].sort()).toEqual([201, 429]);
    const kept = a.status === 429 ? pods[0] : pods[1];
    const evicted = a.status === 429 ? pods[1] : pods[0];
    expect(
      ((await api('GET', `${podsPath}/${kept.metadata.name}`)).body as PodView).metadata.deletionTimestamp,
    ).toBeUndefined();
    await eventually(
      async () => ((await api('GET', `${podsPath}/${evicted.metadata.name}`)).status === 404 ? true : undefined),
      15_000,
      'the evicted pod gone',
    );
    expect((await budget('web')).status?.disruptionsAllowed).toBe(0);
  });

  it('deletes unguarded pods at once, refuses pods two budgets select with 500, and checks the body', async () => {
    await readyPods('web', 3);
    expect(
      (
        await api('POST', podsPath, {
          metadata: { name: 'loner', labels: { app: 'loner' } },
          spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox' }] },
        })
      ).status,
    ).toBe(201);
    await kubelet.running('loner');
    expect((await evict('loner')).status).toBe(201);
    await eventually(
      async () => ((await api('GET', `${podsPath}/loner`)).status === 404 ? true : undefined),
      15_000,
      'the loner gone',
    );

    expect((await evict('web-nope', { metadata: { name: 'other' } })).body).toMatchObject({
      code: 400,
      message: 'name in URL does not match name in Eviction object',
    });

    await api('POST', pdbPath, {
      metadata: { name: 'web-too' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    const victim = (await readyPods('web', 3))[0].metadata.name;
    const twice = await evict(victim);
    expect(twice.status).toBe(500);
    expect(twice.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    });
    await api('DELETE', `${pdbPath}/web-too`);
  });

  it('resets the DisruptionTarget condition of a pod an eviction marked but nobody deleted', async () => {
    expect(
      (
        await api('POST', podsPath, {
          metadata: { name: 'marked', labels: { app: 'marked' } },
          spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox' }] },
        })
      ).status,
    ).toBe(201);
    const long = new Date(Date.now() - 3 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = [
      { type: 'Ready', status: 'True', lastTransitionTime: long },
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
        lastTransitionTime: long,
      },
    ];
    expect(
      (
        await api(
          'PATCH',
          `${podsPath}/marked/status`,
          { status: { phase: 'Running', conditions } },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(200);
    const reset = await eventually(
      async () => {
        const pod = (await api('GET', `${podsPath}/marked`)).body as {
          status: { conditions: { type: string; status: string; reason?: string }[] };
        };
        const cond = pod.status.conditions.find((c) => c.type === 'DisruptionTarget');
        return cond?.status === 'False' ? pod.status.conditions : undefined;
      },
      15_000,
      'the stale DisruptionTarget condition reset',
    );
    // A strategic merge by type: the other conditions and the condition's reason stay.
    expect(reset).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Ready', status: 'True' }),
        expect.objectContaining({ type: 'DisruptionTarget', status: 'False', reason: 'EvictionByEvictionAPI' }),
      ]),
    );
  });

  it('follows maxUnavailable against the RC replicas, and the garbage collector removes the RC pods', async () => {
    await api(
      'PATCH',
      `${pdbPath}/web`,
      { spec: { minAvailable: null, maxUnavailable: '34%' } },
      'application/merge-patch+json',
    );
    // 34 % of 3 replicas rounds up to 2 unavailable: 1 must stay healthy.
    await budgetSettled('web', { expectedPods: 3, desiredHealthy: 1 });
    await readyPods('web', 3);
    await budgetSettled('web', { currentHealthy: 3, disruptionsAllowed: 2 });
    expect((await api('DELETE', `${rcPath}/web`)).status).toBe(200);
    await eventually(
      async () => ((await kubelet.pods('app=web')).length === 0 ? true : undefined),
      20_000,
      'the RC pods collected',
    );
    await budgetSettled('web', { expectedPods: 0, currentHealthy: 0, disruptionsAllowed: 0 });
  });
});
