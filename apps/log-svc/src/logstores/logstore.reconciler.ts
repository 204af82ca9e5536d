import { Injectable } from '@nestjs/common';
import { Controller, ControllerContext, Informer, LOGSTORES, objectKey, splitKey } from '@skiff/controller-runtime';
import { isNotFound } from '@skiff/kube-client';
import { LogStoreSettings } from '@skiff/messaging';
import { LogStoresRepository } from '../store/log-stores.repository';
import { createLogstore, Logstore, LOGSTORE_FINALIZER, settingsOf } from './logstore';

/** The key of the pass that looks for stores without an object (never an object's `namespace/name`). */
export const SWEEP_KEY = '*';
const SWEEP_MS = 60_000;

/**
 * Keeps each store and its Logstore object together. An object's spec is the store's settings (a user may create or
 * edit one); a deleted object keeps its finalizer until the store's records are deleted; a store without an object
 * (made by ingest while the API was away, or again after its object was deleted) gets one, unless its namespace is
 * gone, in which case the store goes too. Keys: `namespace/name`, and SWEEP_KEY every minute.
 */
@Injectable()
export class LogstoreReconciler implements Controller {
  readonly name = 'logstore-controller';
  readonly workers = 2;
  private logstores!: Informer<Logstore>;

  constructor(private readonly stores: LogStoresRepository) {}

  begin(ctx: ControllerContext): void {
    this.logstores = ctx.informers.get<Logstore>(LOGSTORES);
    for (const e of ['add', 'update', 'delete'] as const) this.logstores.on(e, (ls) => ctx.enqueue(objectKey(ls)));
    ctx.enqueue(SWEEP_KEY);
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<{ requeueAfterMs: number } | void> {
    if (key === SWEEP_KEY) {
      for (const s of await this.stores.list()) ctx.enqueue(`${s.namespace}/${s.name}`);
      return { requeueAfterMs: SWEEP_MS };
    }
    const { namespace, name } = splitKey(key);
    const obj = this.logstores.get(namespace, name);
    if (!obj) return this.adopt(ctx, namespace, name);
    const finalizers = obj.metadata.finalizers ?? [];
    const api = ctx.client.resource<Logstore>(LOGSTORES);
    const rv = obj.metadata.resourceVersion;
    if (obj.metadata.deletionTimestamp) {
      if (!finalizers.includes(LOGSTORE_FINALIZER)) return;
      await this.stores.delete(namespace, name);
      const rest = finalizers.filter((f) => f !== LOGSTORE_FINALIZER);
      await api.patch(namespace, name, { metadata: { finalizers: rest, resourceVersion: rv } }, 'merge');
      return;
    }
    if (!finalizers.includes(LOGSTORE_FINALIZER))
      await api.patch(
        namespace,
        name,
        { metadata: { finalizers: [...finalizers, LOGSTORE_FINALIZER], resourceVersion: rv } },
        'merge',
      );
    const want = settingsOf(obj);
    const have = await this.stores.find(namespace, name);
    if (!have || !sameSettings(have, want)) await this.stores.save(want);
  }

  /** A store without an object gets one; a store whose namespace is gone goes. */
  private async adopt(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
    const store = await this.stores.find(namespace, name);
    if (!store) return;
    try {
      await createLogstore(ctx.client, store);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.stores.delete(namespace, name);
    }
  }
}

function sameSettings(a: LogStoreSettings, b: LogStoreSettings): boolean {
  return a.ttlDays === b.ttlDays && a.shards === b.shards && a.mode === b.mode && a.project === b.project;
}
