import { KubeObject } from '@skiff/api-machinery';
import { KubeApiError, ResourceRef } from '@skiff/kube-client';
import {
  ControllerContext,
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  PODS,
  REPLICA_SETS,
  REPLICATION_CONTROLLERS,
} from '@skiff/controller-runtime';
import { FakeBatchApi, FakeClock } from '../jobs/fake-batch-api.fixture';
import { BudgetStatus, DELETION_TIMEOUT_MS } from './disruption-budget-status';
import { DisruptionReconciler } from './disruption.reconciler';

const NS = 'shop';

function budget(name: string, spec: Record<string, unknown>, generation = 1): KubeObject {
  return {
    metadata: { name, namespace: NS, generation },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
}

function pod(
  name: string,
  opts: {
    ready?: boolean;
    owner?: { kind: string; apiVersion: string; name: string; uid: string };
    deleting?: boolean;
    labels?: Record<string, string>;
  } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: NS,
      labels: opts.labels ?? { app: 'web' },
      ...(opts.owner ? { ownerReferences: [{ ...opts.owner, controller: true }] } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2024-03-01T10:00:00Z', finalizers: ['hold'] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

describe(DisruptionReconciler.name, () => {
  let clock: FakeClock;
  let api: FakeBatchApi;
  let ctx: ControllerContext;
  let controller: DisruptionReconciler;
  let discovery: Record<string, unknown>;

  const reconcile = async (key: string) => {
    api.sync();
    const result = await controller.reconcile(ctx, key);
    api.sync();
    return result;
  };
  const status = (name: string) => api.get(POD_DISRUPTION_BUDGETS, NS, name)!.status as BudgetStatus;
  const allowed = (name: string) => status(name).conditions?.find((c) => c.type === 'DisruptionAllowed');
  const events = () => api.events.map((e) => `${e.kind} ${e.name} ${e.type} ${e.reason}: ${e.message}`);
  const owner = (o: KubeObject, kind: string, apiVersion: string) => ({
    kind,
    apiVersion,
    name: o.metadata.name!,
    uid: o.metadata.uid!,
  });

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeBatchApi(clock);
    discovery = {};
    const client = api.ctx.client;
    ctx = {
      ...api.ctx,
      client: {
        resource: (ref: ResourceRef) => client.resource(ref),
        // Discovery and /scale of kinds the controller has no cache for.
        request: async (_method: string, path: string) => {
          if (path in discovery) return discovery[path];
          throw new KubeApiError(404, 'NotFound', `${path} not found`);
        },
      } as unknown as ControllerContext['client'],
    };
    controller = new DisruptionReconciler(clock);
    controller.begin(ctx);
  });

  it('with an integer minAvailable, expects the pods there are and allows what is healthy beyond it', async () => {
    api.create(POD_DISRUPTION_BUDGETS, budget('web', { minAvailable: 2 }));
    for (const n of ['a', 'b', 'c']) api.create(PODS, pod(n));
    api.create(PODS, pod('sick', { ready: false }));
    api.create(PODS, pod('going', { deleting: true }));
    api.create(PODS, pod('other', { labels: { app: 'api' } }));
    await reconcile(`${NS}/web`);
    expect(status('web')).toEqual({
      observedGeneration: 1,
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 5,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: 'True',
          observedGeneration: 1,
          reason: 'SufficientPods',
          message: '',
          lastTransitionTime: '2024-03-01T10:00:00Z',
        },
      ],
    });

    // One pod stops being ready: no disruption left, and the condition says so from now on.
    clock.advance(5000);
    api.edit(PODS, NS, 'a', (p) => {
      p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };
    });
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 2 });
    expect(allowed('web')).toEqual({
      type: 'DisruptionAllowed',
      status: 'False',
      observedGeneration: 1,
      reason: 'InsufficientPods',
      message: '',
      lastTransitionTime: '2024-03-01T10:00:05Z',
    });
  });

  it("with maxUnavailable, expects the replicas of the pods' controllers (a Deployment through its ReplicaSet)", async () => {
    const deploy = api.create(DEPLOYMENTS, { metadata: { name: 'web', namespace: NS }, spec: { replicas: 4 } });
    const rs = api.create(REPLICA_SETS, {
      metadata: {
        name: 'web-1',
        namespace: NS,
        ownerReferences: [{ ...owner(deploy, 'Deployment', 'apps/v1'), controller: true }],
      },
      spec: { replicas: 4 },
    });
    for (const n of ['a', 'b', 'c']) api.create(PODS, pod(n, { owner: owner(rs, 'ReplicaSet', 'apps/v1') }));
    api.create(POD_DISRUPTION_BUDGETS, budget('web', { maxUnavailable: 1 }));
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 3,
      currentHealthy: 3,
      disruptionsAllowed: 0,
    });

    api.edit(DEPLOYMENTS, NS, 'web', (d) => {
      (d.spec as { replicas: number }).replicas = 3;
    });
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({ expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
  });

  it("rounds a percentage minAvailable up against the controllers' scale (a ReplicationController)", async () => {
    const rc = api.create(REPLICATION_CONTROLLERS, {
      metadata: { name: 'web', namespace: NS },
      spec: { replicas: 3, selector: { app: 'web' } },
    });
    for (const n of ['a', 'b', 'c']) api.create(PODS, pod(n, { owner: owner(rc, 'ReplicationController', 'v1') }));
    api.create(POD_DISRUPTION_BUDGETS, budget('web', { minAvailable: '50%' }));
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({
      expectedPods: 3,
      desiredHealthy: 2,
      currentHealthy: 3,
      disruptionsAllowed: 1,
    });
  });

  it('warns about unmanaged pods and fails safe when a controller cannot be found', async () => {
    api.create(PODS, pod('bare'));
    api.create(POD_DISRUPTION_BUDGETS, budget('web', { maxUnavailable: '50%' }));
    await reconcile(`${NS}/web`);
    expect(events()).toContain(
      `PodDisruptionBudget web Warning UnmanagedPods: Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
    );

    api.create(
      PODS,
      pod('custom', { owner: { kind: 'Widget', apiVersion: 'example.com/v1', name: 'w', uid: 'uid-w' } }),
    );
    discovery['/apis/example.com/v1'] = { resources: [{ name: 'widgets', kind: 'Widget' }] };
    await reconcile(`${NS}/web`);
    expect(status('web').disruptionsAllowed).toBe(0);
    expect(allowed('web')).toMatchObject({
      status: 'False',
      reason: 'SyncFailed',
      message: 'widgets.example.com does not implement the scale subresource',
    });
    expect(events()).toContain(
      'PodDisruptionBudget web Warning CalculateExpectedPodCountFailed: Failed to calculate the number of expected pods: widgets.example.com does not implement the scale subresource',
    );

    // With a scale subresource, the Widget's replicas count.
    discovery['/apis/example.com/v1'] = {
      resources: [
        { name: 'widgets', kind: 'Widget' },
        { name: 'widgets/scale', kind: 'Scale' },
      ],
    };
    discovery[`/apis/example.com/v1/namespaces/${NS}/widgets/w/scale`] = {
      metadata: { name: 'w', uid: 'uid-w' },
      spec: { replicas: 4 },
    };
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 2,
      currentHealthy: 2,
      disruptionsAllowed: 0,
    });
    expect(allowed('web')).toMatchObject({ reason: 'InsufficientPods' });
  });

  it('keeps pods an eviction recorded out of the healthy count until DeletionTimeout, then forgets them', async () => {
    for (const n of ['a', 'b', 'c']) api.create(PODS, pod(n));
    api.create(POD_DISRUPTION_BUDGETS, budget('web', { minAvailable: 1 }));
    // What the eviction subresource writes before it deletes a pod.
    api.edit(POD_DISRUPTION_BUDGETS, NS, 'web', (b) => {
      b.status = {
        observedGeneration: 1,
        disruptionsAllowed: 1,
        currentHealthy: 3,
        desiredHealthy: 1,
        expectedPods: 3,
        disruptedPods: { a: '2024-03-01T10:00:00Z', gone: '2024-03-01T10:00:00Z' },
      };
    });
    clock.advance(30_000);
    const again = await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({
      currentHealthy: 2,
      disruptionsAllowed: 1,
      disruptedPods: { a: '2024-03-01T10:00:00Z' },
    });
    expect(again?.requeueAfterMs).toBe(DELETION_TIMEOUT_MS - 30_000);

    clock.advance(DELETION_TIMEOUT_MS);
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 2 });
    expect(status('web').disruptedPods).toBeUndefined();
    expect(events()).toContain(
      "Pod a Warning NotDeleted: Pod was expected by PDB shop/web to be deleted but it wasn't",
    );
  });

  it('reports no pods, follows the generation, and writes nothing when nothing changed', async () => {
    api.create(POD_DISRUPTION_BUDGETS, budget('web', { minAvailable: 1 }));
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({
      expectedPods: 0,
      desiredHealthy: 1,
      disruptionsAllowed: 0,
      observedGeneration: 1,
    });
    expect(events()).toContain('PodDisruptionBudget web Normal NoPods: No matching pods found');
    const rv = api.get(POD_DISRUPTION_BUDGETS, NS, 'web')!.metadata.resourceVersion;
    await reconcile(`${NS}/web`);
    expect(api.get(POD_DISRUPTION_BUDGETS, NS, 'web')!.metadata.resourceVersion).toBe(rv);

    api.edit(POD_DISRUPTION_BUDGETS, NS, 'web', (b) => {
      b.metadata.generation = 2;
      (b.spec as Record<string, unknown>).minAvailable = 0;
    });
    await reconcile(`${NS}/web`);
    expect(status('web')).toMatchObject({ observedGeneration: 2, desiredHealthy: 0 });
  });

  it('recomputes the budget that selects a changed pod, warning when several do', async () => {
    api.create(POD_DISRUPTION_BUDGETS, budget('b-web', { minAvailable: 1 }));
    api.create(POD_DISRUPTION_BUDGETS, budget('a-web', { maxUnavailable: 0 }));
    api.sync();
    api.enqueued.length = 0;
    api.create(PODS, pod('a'));
    api.sync();
    expect(api.enqueued).toEqual([`${NS}/a-web`]);
    expect(events()).toContain(
      'Pod a Warning MultiplePodDisruptionBudgets: Pod "shop"/"a" matches multiple PodDisruptionBudgets.  Chose "a-web" arbitrarily.',
    );
  });

  it('resets a DisruptionTarget condition that an eviction left on a pod nobody deleted', async () => {
    const p = pod('kept');
    (p.status as { conditions: unknown[] }).conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: '2024-03-01T10:00:00Z',
    });
    api.create(PODS, p);
    api.sync();
    expect(api.enqueued).toContain(`pod:${NS}/kept`);
    expect(await reconcile(`pod:${NS}/kept`)).toEqual({ requeueAfterMs: 120_000 });
    clock.advance(120_000);
    await reconcile(`pod:${NS}/kept`);
    const conditions = (api.get(PODS, NS, 'kept')!.status as { conditions: { type: string; status: string }[] })
      .conditions;
    expect(conditions.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'False',
      lastTransitionTime: '2024-03-01T10:02:00Z',
    });
  });
});
