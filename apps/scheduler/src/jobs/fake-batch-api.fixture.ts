import { applyJsonMergePatch, applyJsonPatch, JsonValue, KubeObject } from '@skiff/api-machinery';
import { DeleteOptions, KubeApiError, KubeClient, ResourceRef } from '@skiff/kube-client';
import { ControllerContext, InformerEventName, SharedInformers } from '@skiff/controller-runtime';
import { FakeClock } from '@skiff/testing';

export interface RecordedEvent {
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
}

type Handler = (obj: KubeObject, old?: KubeObject) => void;

class FakeInformer {
  readonly cache = new Map<string, KubeObject>();
  readonly handlers: Record<InformerEventName, Handler[]> = { add: [], update: [], delete: [] };
  list(): KubeObject[] {
    return [...this.cache.values()];
  }
  get(ns: string | undefined, name: string): KubeObject | undefined {
    return this.cache.get(`${ns ?? ''}/${name}`);
  }
  on(event: InformerEventName, h: Handler): () => void {
    this.handlers[event].push(h);
    return () => undefined;
  }
}

const resKey = (ref: ResourceRef) => `${ref.group}/${ref.resource}`;
const conflict = () => new KubeApiError(409, 'Conflict', 'the object has been modified');
const notFound = () => new KubeApiError(404, 'NotFound', 'not found');

/**
 * An in-memory API server and informer caches for controller unit specs. Writes land in the
 * store at once; caches catch up only on `sync()`, so specs can show what a controller does
 * before its watch has seen its own writes.
 */
export class FakeBatchApi {
  readonly events: RecordedEvent[] = [];
  readonly deletes: { resource: string; name: string; opts: DeleteOptions }[] = [];
  readonly enqueued: string[] = [];
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly informers = new Map<string, FakeInformer>();
  private rv = 1;
  private seq = 0;

  constructor(readonly clock: FakeClock) {}

  readonly ctx: ControllerContext = {
    client: { resource: (ref: ResourceRef) => this.resource(ref) } as unknown as KubeClient,
    informers: { get: (ref: ResourceRef) => this.informer(ref) } as unknown as SharedInformers,
    events: {
      record: async (obj: KubeObject, type: string, reason: string, message: string) => {
        this.events.push({ kind: obj.kind ?? '', name: obj.metadata.name!, type, reason, message });
      },
    } as unknown as ControllerContext['events'],
    signal: new AbortController().signal,
    enqueue: (key) => this.enqueued.push(key),
    enqueueAfter: (key) => this.enqueued.push(key),
  };

  list(ref: ResourceRef): KubeObject[] {
    return [...this.table(ref).values()].map((o) => structuredClone(o));
  }

  get(ref: ResourceRef, ns: string, name: string): KubeObject | undefined {
    const o = this.table(ref).get(`${ns}/${name}`);
    return o && structuredClone(o);
  }

  /** Creates directly in the store (what a user does). */
  create(ref: ResourceRef & { kind: string; apiVersion: string }, obj: KubeObject): KubeObject {
    return this.resource(ref).createSync(obj.metadata.namespace, {
      kind: ref.kind,
      apiVersion: ref.apiVersion,
      ...obj,
    });
  }

  /** Edits an object in the store as another actor would (a kubelet writing pod status, a user editing spec). */
  edit(ref: ResourceRef, ns: string, name: string, change: (o: KubeObject) => void): void {
    const o = this.table(ref).get(`${ns}/${name}`);
    if (!o) throw new Error(`no ${name}`);
    change(o);
    o.metadata.resourceVersion = String(++this.rv);
    this.removeIfFinalized(ref, o);
  }

  /** Brings every cache up to the store, firing add/update/delete handlers. */
  sync(): void {
    for (const [key, informer] of this.informers) {
      const table = this.store.get(key) ?? new Map<string, KubeObject>();
      for (const [k, old] of [...informer.cache]) {
        if (!table.has(k)) {
          informer.cache.delete(k);
          for (const h of informer.handlers.delete) h(old);
        }
      }
      for (const [k, obj] of table) {
        const old = informer.cache.get(k);
        if (old?.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
        const frozen = structuredClone(obj);
        informer.cache.set(k, frozen);
        for (const h of old ? informer.handlers.update : informer.handlers.add) h(frozen, old);
      }
    }
  }

  private informer(ref: ResourceRef): FakeInformer {
    let i = this.informers.get(resKey(ref));
    if (!i) this.informers.set(resKey(ref), (i = new FakeInformer()));
    return i;
  }

  private table(ref: ResourceRef): Map<string, KubeObject> {
    let t = this.store.get(resKey(ref));
    if (!t) this.store.set(resKey(ref), (t = new Map()));
    return t;
  }

  private removeIfFinalized(ref: ResourceRef, o: KubeObject): void {
    if (o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).length === 0)
      this.table(ref).delete(`${o.metadata.namespace}/${o.metadata.name}`);
  }

  private resource(ref: ResourceRef) {
    const table = this.table(ref);
    const find = (ns: string | undefined, name: string): KubeObject => {
      const o = table.get(`${ns}/${name}`);
      if (!o) throw notFound();
      return o;
    };
    const createSync = (ns: string | undefined, obj: KubeObject): KubeObject => {
      const o = structuredClone(obj);
      o.metadata.name ??= `${o.metadata.generateName}${(++this.seq).toString(36).padStart(5, 'x')}`;
      o.metadata.namespace = ns;
      if (table.has(`${ns}/${o.metadata.name}`))
        throw new KubeApiError(409, 'AlreadyExists', `${o.metadata.name} already exists`);
      o.metadata.uid = `uid-${o.metadata.name}`;
      o.metadata.creationTimestamp = new Date(this.clock.nowMs()).toISOString().replace('.000Z', 'Z');
      o.metadata.resourceVersion = String(++this.rv);
      table.set(`${ns}/${o.metadata.name}`, o);
      return structuredClone(o);
    };
    const patch = async (ns: string | undefined, name: string, body: unknown, type: string): Promise<KubeObject> => {
      const o = find(ns, name);
      const patched = (type === 'json'
        ? applyJsonPatch(o as unknown as JsonValue, body)
        : applyJsonMergePatch(o as unknown as JsonValue, body as JsonValue)) as unknown as KubeObject;
      patched.metadata.resourceVersion = String(++this.rv);
      table.set(`${ns}/${name}`, patched);
      this.removeIfFinalized(ref, patched);
      return structuredClone(patched);
    };
    return {
      createSync,
      create: async (ns: string | undefined, obj: KubeObject) => createSync(ns, obj),
      get: async (ns: string | undefined, name: string) => structuredClone(find(ns, name)),
      update: async (ns: string | undefined, obj: KubeObject) => {
        const o = find(ns, obj.metadata.name!);
        if (obj.metadata.resourceVersion !== o.metadata.resourceVersion) throw conflict();
        const updated = { ...structuredClone(obj), status: o.status };
        updated.metadata.resourceVersion = String(++this.rv);
        table.set(`${ns}/${obj.metadata.name}`, updated);
        return structuredClone(updated);
      },
      updateStatus: async (ns: string | undefined, obj: KubeObject) => {
        const o = find(ns, obj.metadata.name!);
        if (obj.metadata.resourceVersion !== o.metadata.resourceVersion) throw conflict();
        o.status = structuredClone(obj.status);
        o.metadata.resourceVersion = String(++this.rv);
        return structuredClone(o);
      },
      patch,
      // The fake keeps whole objects: a status patch is the same merge.
      patchStatus: (ns: string | undefined, name: string, body: unknown) => patch(ns, name, body, 'merge'),
      delete: async (ns: string | undefined, name: string, opts: DeleteOptions = {}) => {
        const o = find(ns, name);
        if (opts.preconditions?.uid && opts.preconditions.uid !== o.metadata.uid) throw conflict();
        this.deletes.push({ resource: ref.resource, name, opts });
        if ((o.metadata.finalizers ?? []).length > 0) {
          o.metadata.deletionTimestamp ??= new Date(this.clock.nowMs()).toISOString();
          o.metadata.resourceVersion = String(++this.rv);
          return structuredClone(o);
        }
        table.delete(`${ns}/${name}`);
        return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
      },
    };
  }
}

export { FakeClock };
