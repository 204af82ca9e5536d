import { KubeObject } from '@skiff/api-machinery';
import { LOGSTORES } from '@skiff/controller-runtime';
import { KubeApiError } from '@skiff/kube-client';
import { LogStoreSettings } from '@skiff/messaging';
import { FakeCluster } from '@skiff/testing';
import { LogStoresRepository, StoreRow } from '../store/log-stores.repository';
import { Logstore, LOGSTORE_FINALIZER } from './logstore';
import { LogstoreReconciler, SWEEP_KEY } from './logstore.reconciler';

/** Stores in a map; `deleted` records which stores had their records deleted. */
class InMemoryLogStores extends LogStoresRepository {
  readonly rows = new Map<string, StoreRow>();
  readonly deleted: string[] = [];
  private nextId = 1;

  async list(): Promise<StoreRow[]> {
    return [...this.rows.values()];
  }
  async find(namespace: string, name: string): Promise<StoreRow | undefined> {
    return this.rows.get(`${namespace}/${name}`);
  }
  async save(s: LogStoreSettings): Promise<void> {
    const k = `${s.namespace}/${s.name}`;
    const had = this.rows.get(k);
    this.rows.set(k, { ...s, id: had?.id ?? this.nextId++, createdAt: had?.createdAt ?? new Date() });
  }
  async delete(namespace: string, name: string): Promise<boolean> {
    this.deleted.push(`${namespace}/${name}`);
    return this.rows.delete(`${namespace}/${name}`);
  }
}

const settings = (name: string, extra: Partial<LogStoreSettings> = {}): LogStoreSettings => ({
  namespace: 'team',
  name,
  ttlDays: 90,
  shards: 2,
  mode: 'standard',
  ...extra,
});

describe(LogstoreReconciler.name, () => {
  let cluster: FakeCluster;
  let stores: InMemoryLogStores;
  let controller: LogstoreReconciler;

  const reconcile = async (key: string) => {
    cluster.sync();
    const result = await controller.reconcile(cluster.ctx, key);
    cluster.sync();
    return result;
  };
  const object = (name: string) => cluster.get<Logstore>(LOGSTORES, 'team', name);

  beforeEach(() => {
    cluster = new FakeCluster();
    stores = new InMemoryLogStores();
    controller = new LogstoreReconciler(stores);
    controller.begin(cluster.ctx);
  });

  it('gives a store without an object one, with its settings and the finalizer', async () => {
    await stores.save(settings('app', { ttlDays: 7, shards: 3, mode: 'query', project: 'k8s-log' }));
    await reconcile('team/app');
    expect(object('app')).toMatchObject({
      apiVersion: 'logs.skiff.io/v1',
      kind: 'Logstore',
      metadata: { namespace: 'team', name: 'app', finalizers: [LOGSTORE_FINALIZER] },
      spec: { ttlDays: 7, shards: 3, mode: 'query', project: 'k8s-log' },
    });
  });

  it('finds every store on its sweep, and sweeps again a minute later', async () => {
    await stores.save(settings('a'));
    await stores.save(settings('b'));
    cluster.enqueued.length = 0;
    expect(await reconcile(SWEEP_KEY)).toEqual({ requeueAfterMs: 60_000 });
    expect(cluster.enqueued).toEqual(['team/a', 'team/b']);
  });

  it("makes a user's Logstore a store, and follows its spec", async () => {
    cluster.put(LOGSTORES, {
      apiVersion: 'logs.skiff.io/v1',
      kind: 'Logstore',
      metadata: { namespace: 'team', name: 'mine' },
      spec: { ttlDays: 3 },
    } as KubeObject);
    await reconcile('team/mine');
    expect(await stores.find('team', 'mine')).toMatchObject({ ttlDays: 3, shards: 2, mode: 'standard' });
    expect(object('mine')?.metadata.finalizers).toEqual([LOGSTORE_FINALIZER]);

    const edited = object('mine')!;
    cluster.put(LOGSTORES, { ...edited, spec: { ttlDays: 30, shards: 4 } } as KubeObject);
    await reconcile('team/mine');
    expect(await stores.find('team', 'mine')).toMatchObject({ ttlDays: 30, shards: 4 });
    expect(cluster.writes).toHaveLength(1); // the finalizer, once
  });

  it("deletes a deleted Logstore's records before letting the object go", async () => {
    await stores.save(settings('app'));
    await reconcile('team/app');
    const obj = object('app')!;
    cluster.put(LOGSTORES, {
      ...obj,
      metadata: { ...obj.metadata, deletionTimestamp: '2025-06-01T10:00:00Z' },
    } as KubeObject);
    await reconcile('team/app');
    expect(stores.deleted).toEqual(['team/app']);
    expect(object('app')?.metadata.finalizers).toEqual([]);
  });

  it('leaves alone a deleted Logstore without its finalizer', async () => {
    cluster.put(LOGSTORES, {
      apiVersion: 'logs.skiff.io/v1',
      kind: 'Logstore',
      metadata: { namespace: 'team', name: 'app', deletionTimestamp: '2025-06-01T10:00:00Z', finalizers: ['other'] },
    } as KubeObject);
    await reconcile('team/app');
    expect(stores.deleted).toEqual([]);
    expect(cluster.writes).toEqual([]);
  });

  it('drops a store whose namespace is gone', async () => {
    await stores.save(settings('app', { namespace: 'gone' }));
    const ctx = cluster.ctx;
    const client = {
      resource: () => ({
        create: async () => {
          throw new KubeApiError(404, 'NotFound', 'namespaces "gone" not found');
        },
      }),
    };
    await controller.reconcile({ ...ctx, client: client as unknown as typeof ctx.client }, 'gone/app');
    expect(stores.deleted).toEqual(['gone/app']);
  });
});
