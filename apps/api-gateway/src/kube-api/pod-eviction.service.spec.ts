import { ApiError, Clock, JsonObject, KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '@skiff/api-server';
import { apiRefusal } from '@skiff/testing';
import { ObjectStoreRepository, WriteDecision, WriteResult } from '../storage/object-store.repository';
import { ObjectKey } from '../storage/object-key';
import { InMemoryClusterIps } from '../services/in-memory-cluster-ips.fixture';
import { ResourceStrategies } from './strategies';
import { DeletionService } from './deletion.service';
import { PodEvictionService } from './pod-eviction.service';
import { ResourceContext } from './resource-context';

const NS = 'shop';
const NOW = new Date('2025-03-01T10:00:00Z');

/** The object store as the eviction sees it: rows by key, a resourceVersion per write, decide() under the row "lock". */
class FakeObjectStore {
  private readonly rows = new Map<string, KubeObject>();
  private rv = 100;

  private id(k: ObjectKey): string {
    return `${k.group}/${k.resource}/${k.namespace}/${k.name}`;
  }

  put(k: ObjectKey, obj: KubeObject): void {
    this.rows.set(this.id(k), {
      ...structuredClone(obj),
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
    });
  }

  peek(k: ObjectKey): KubeObject | undefined {
    return this.rows.get(this.id(k));
  }

  async get(k: ObjectKey): Promise<KubeObject | undefined> {
    const o = this.rows.get(this.id(k));
    return o && structuredClone(o);
  }

  async list(q: {
    group: string;
    resource: string;
    namespace?: string;
  }): Promise<{ items: KubeObject[]; resourceVersion: number; more: boolean }> {
    const prefix = `${q.group}/${q.resource}/${q.namespace ?? ''}`;
    const items = [...this.rows.entries()].filter(([k]) => k.startsWith(prefix)).map(([, o]) => structuredClone(o));
    return { items, resourceVersion: this.rv, more: false };
  }

  async write(k: ObjectKey, decide: (current: KubeObject | undefined) => WriteDecision): Promise<WriteResult> {
    await Promise.resolve();
    // Read and decide with nothing in between, as the row lock makes it.
    const current = this.rows.get(this.id(k));
    const d = decide(current && structuredClone(current));
    if (d.op === 'none') return { op: 'none', object: d.object };
    if (d.op === 'delete') {
      this.rows.delete(this.id(k));
      return { op: 'delete', object: d.object };
    }
    const stored = { ...d.object, metadata: { ...d.object.metadata, resourceVersion: String(++this.rv) } };
    this.rows.set(this.id(k), stored);
    return { op: d.op, object: structuredClone(stored) };
  }
}

const podKey = (name: string): ObjectKey => ({ group: '', resource: 'pods', namespace: NS, name });
const pdbKey = (name: string): ObjectKey => ({
  group: 'policy',
  resource: 'poddisruptionbudgets',
  namespace: NS,
  name,
});

function pod(
  name: string,
  opts: { ready?: boolean; phase?: string; labels?: Record<string, string> } = {},
): KubeObject {
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, uid: `uid-${name}`, labels: opts.labels ?? { app: 'web' } },
    spec: { nodeName: 'virtual-node-a', containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function budget(
  name: string,
  status: Record<string, unknown>,
  spec: Record<string, unknown> = {},
  generation = 1,
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: NS, generation },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } }, ...spec },
    status: {
      observedGeneration: 1,
      disruptionsAllowed: 0,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      ...status,
    },
  };
}

const eviction = (name: string, extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'policy/v1',
  kind: 'Eviction',
  metadata: { name, namespace: NS },
  ...extra,
});

describe(PodEvictionService.name, () => {
  let store: FakeObjectStore;
  let service: PodEvictionService;
  const podsType = BUILT_IN_RESOURCES.find((r) => r.group === '' && r.resource === 'pods')!;
  const ctx: ResourceContext = {
    info: { verb: 'create', group: '', version: 'v1', namespace: NS, resource: 'pods', subresource: 'eviction' },
    type: podsType,
    apiVersion: 'v1',
    namespace: NS,
  };
  const evict = (name: string, body: JsonObject = eviction(name), query = '') =>
    service.evict(ctx, name, body, new URLSearchParams(query));
  const terminating = (name: string) => !!store.peek(podKey(name))?.metadata.deletionTimestamp;
  const budgetStatus = (name: string) => store.peek(pdbKey(name))?.status as Record<string, unknown>;

  beforeEach(() => {
    store = new FakeObjectStore();
    const clock = { now: () => NOW } as Clock;
    const objects = store as unknown as ObjectStoreRepository;
    service = new PodEvictionService(
      objects,
      new DeletionService(objects, clock, new ResourceStrategies(new InMemoryClusterIps())),
      clock,
    );
  });

  it('deletes a pod no budget guards, marking it DisruptionTarget first, and answers 201 Success', async () => {
    store.put(podKey('lone'), pod('lone', { labels: { app: 'other' } }));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 0 }));
    expect(await evict('lone')).toEqual({
      code: 201,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
    });
    const p = store.peek(podKey('lone'))!;
    expect(p.metadata.deletionTimestamp).toBe('2025-03-01T10:00:30Z'); // bound to a node: graceful, 30 s
    expect((p.status as { conditions: unknown[] }).conditions).toContainEqual({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: '2025-03-01T10:00:00Z',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
  });

  it('takes an allowed disruption from the budget, recording the pod, before deleting it', async () => {
    store.put(podKey('web-1'), pod('web-1'));
    store.put(
      pdbKey('web'),
      budget('web', {
        disruptionsAllowed: 1,
        currentHealthy: 3,
        desiredHealthy: 2,
        expectedPods: 3,
        conditions: [
          {
            type: 'DisruptionAllowed',
            status: 'True',
            reason: 'SufficientPods',
            message: '',
            observedGeneration: 1,
            lastTransitionTime: '2025-03-01T09:00:00Z',
          },
        ],
      }),
    );
    expect((await evict('web-1')).code).toBe(201);
    expect(terminating('web-1')).toBe(true);
    expect(budgetStatus('web')).toMatchObject({
      disruptionsAllowed: 0,
      disruptedPods: { 'web-1': '2025-03-01T10:00:00Z' },
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: 'False',
          reason: 'InsufficientPods',
          message: '',
          observedGeneration: 1,
          lastTransitionTime: '2025-03-01T10:00:00Z',
        },
      ],
    });
  });

  it('refuses with 429 and the DisruptionBudget cause when no disruption is allowed', async () => {
    store.put(podKey('web-1'), pod('web-1'));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }));
    const err = await apiRefusal(evict('web-1'));
    expect(err.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: {
        causes: [
          { reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' },
        ],
      },
      code: 429,
    });
    expect(terminating('web-1')).toBe(false);
  });

  it('refuses while the budget status is older than its spec, asking to retry in 10 s', async () => {
    store.put(podKey('web-1'), pod('web-1'));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 1, observedGeneration: 1 }, {}, 2));
    const err = await apiRefusal(evict('web-1'));
    expect(err.code).toBe(429);
    expect(err.details).toEqual({
      retryAfterSeconds: 10,
      causes: [
        { reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' },
      ],
    });
  });

  it('answers 500 when more than one budget selects the pod', async () => {
    store.put(podKey('web-1'), pod('web-1'));
    store.put(pdbKey('a'), budget('a', { disruptionsAllowed: 1 }));
    store.put(
      pdbKey('b'),
      budget('b', { disruptionsAllowed: 1 }, { selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } }),
    );
    expect(await evict('web-1')).toEqual({
      code: 500,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        code: 500,
      },
    });
    expect(terminating('web-1')).toBe(false);
  });

  it('ignores budgets with an empty selector, and the budget for finished and pending pods', async () => {
    store.put(pdbKey('all'), budget('all', { disruptionsAllowed: 0 }, { selector: {} }));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 0 }));
    store.put(podKey('done'), pod('done', { phase: 'Succeeded', ready: false }));
    store.put(podKey('new'), { ...pod('new', { phase: 'Pending', ready: false }), spec: { containers: [] } });
    expect((await evict('done')).code).toBe(201);
    expect((await evict('new')).code).toBe(201);
    expect(store.peek(podKey('done'))).toBeUndefined(); // finished pods go at once
    expect(store.peek(podKey('new'))).toBeUndefined(); // so do unbound ones
    expect(budgetStatus('web').disruptionsAllowed).toBe(0);
  });

  it('deletes an unready pod for free while the application is not disrupted, or always with AlwaysAllow', async () => {
    store.put(podKey('sick'), pod('sick', { ready: false }));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }));
    expect((await evict('sick')).code).toBe(201);
    expect(terminating('sick')).toBe(true);
    expect(budgetStatus('web')).toMatchObject({ disruptionsAllowed: 0 });
    expect(budgetStatus('web').disruptedPods).toBeUndefined();

    store.put(podKey('sick-2'), pod('sick-2', { ready: false }));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 }));
    expect((await apiRefusal(evict('sick-2'))).code).toBe(429); // IfHealthyBudget: the application is disrupted
    store.put(
      pdbKey('web'),
      budget(
        'web',
        { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 },
        { unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      ),
    );
    expect((await evict('sick-2')).code).toBe(201);
    expect(terminating('sick-2')).toBe(true);
  });

  it('lets only one of two concurrent evictions take the last allowed disruption', async () => {
    store.put(podKey('web-1'), pod('web-1'));
    store.put(podKey('web-2'), pod('web-2'));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 }));
    const results = await Promise.allSettled([evict('web-1'), evict('web-2')]);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0].reason as ApiError).code).toBe(429);
    expect([terminating('web-1'), terminating('web-2')].sort()).toEqual([false, true]);
    expect(Object.keys(budgetStatus('web').disruptedPods as object)).toHaveLength(1);
  });

  it('changes nothing on a dry run', async () => {
    store.put(podKey('web-1'), pod('web-1'));
    store.put(pdbKey('web'), budget('web', { disruptionsAllowed: 1 }));
    expect((await evict('web-1', eviction('web-1'), 'dryRun=All')).code).toBe(201);
    expect((await evict('web-1', eviction('web-1', { deleteOptions: { dryRun: ['All'] } }))).code).toBe(201);
    expect(terminating('web-1')).toBe(false);
    expect(budgetStatus('web').disruptionsAllowed).toBe(1);
  });

  it('checks the Eviction body against the URL and honours its deleteOptions', async () => {
    store.put(podKey('web-1'), pod('web-1', { labels: {} }));
    expect((await apiRefusal(evict('web-1', eviction('web-2')))).message).toBe(
      'name in URL does not match name in Eviction object',
    );
    expect((await apiRefusal(evict('web-1', { ...eviction('web-1'), kind: 'Pod' }))).code).toBe(400);
    expect((await apiRefusal(evict('missing', eviction('missing')))).message).toBe('pods "missing" not found');
    expect(
      (await apiRefusal(evict('web-1', eviction('web-1', { deleteOptions: { preconditions: { uid: 'other' } } }))))
        .code,
    ).toBe(409);
    expect(
      (
        await evict(
          'web-1',
          eviction('web-1', { apiVersion: 'policy/v1beta1', deleteOptions: { gracePeriodSeconds: 5 } }),
        )
      ).code,
    ).toBe(201);
    expect(store.peek(podKey('web-1'))?.metadata.deletionTimestamp).toBe('2025-03-01T10:00:05Z');
  });
});
