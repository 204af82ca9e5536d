import { applyJsonMergePatch, JsonValue, KubeObject } from '@skiff/api-machinery';
import { ControllerContext, EventRecorder, InformerEventName, SharedInformers } from '@skiff/controller-runtime';
import { KubeApiError, KubeClient, ResourceRef } from '@skiff/kube-client';

// An in-memory API server and informer caches for reconciler specs: writes reach the caches on sync().
type Handler = (obj: KubeObject, old?: KubeObject) => void;
const keyOf = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
// Not structuredClone: under Jest its objects come from another realm, which isDeepStrictEqual tells apart.
const clone = <T>(o: T): T => (o === undefined ? o : (JSON.parse(JSON.stringify(o)) as T));

/** An API server whose writes reach the informer caches on `sync()`; records writes, events and enqueued keys. */
export class FakeCluster {
  readonly writes: string[] = [];
  readonly events: string[] = [];
  readonly enqueued: string[] = [];
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly caches = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Record<InformerEventName, Handler[]>>();
  private term = new AbortController();
  private rv = 0;

  /** The context of the current leadership term. */
  get ctx(): ControllerContext {
    return {
      client: { resource: (ref: ResourceRef) => this.resource(ref) } as unknown as KubeClient,
      informers: { get: (ref: ResourceRef) => this.informer(ref.resource) } as unknown as SharedInformers,
      events: {
        record: async (o: KubeObject, type: string, reason: string, message: string) =>
          void this.events.push(`${type} ${reason} ${o.metadata.name}: ${message}`),
      } as unknown as EventRecorder,
      signal: this.term.signal,
      enqueue: (key) => this.enqueued.push(key),
      enqueueAfter: (key) => this.enqueued.push(key),
    };
  }

  newTerm(): void {
    this.term.abort();
    this.term = new AbortController();
  }

  /** Creates or replaces an object as a user (or another controller) would. */
  put(ref: ResourceRef, obj: KubeObject): void {
    const o = clone(obj);
    o.metadata.uid ??= `uid-${o.metadata.name}`;
    o.metadata.resourceVersion = String(++this.rv);
    this.table(ref.resource).set(keyOf(o.metadata.namespace, o.metadata.name!), o);
  }

  remove(ref: ResourceRef, ns: string | undefined, name: string): void {
    this.table(ref.resource).delete(keyOf(ns, name));
  }

  get<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): T | undefined {
    return clone(this.table(ref.resource).get(keyOf(ns, name))) as T | undefined;
  }

  list<T extends KubeObject>(ref: ResourceRef): T[] {
    return [...this.table(ref.resource).values()].map((o) => clone(o) as T);
  }

  /** Brings the caches up to the store, firing their handlers. */
  sync(): void {
    for (const [resource, cache] of this.caches) {
      const table = this.table(resource);
      const on = this.handlers.get(resource)!;
      for (const [k, old] of [...cache]) if (!table.has(k) && cache.delete(k)) on.delete.forEach((h) => h(old));
      for (const [k, o] of table) {
        const old = cache.get(k);
        if (old?.metadata.resourceVersion === o.metadata.resourceVersion) continue;
        cache.set(k, clone(o));
        (old ? on.update : on.add).forEach((h) => h(o, old));
      }
    }
  }

  private table(resource: string): Map<string, KubeObject> {
    if (!this.store.has(resource)) this.store.set(resource, new Map());
    return this.store.get(resource)!;
  }

  private informer(resource: string) {
    if (!this.caches.has(resource)) {
      this.caches.set(resource, new Map());
      this.handlers.set(resource, { add: [], update: [], delete: [] });
    }
    const cache = this.caches.get(resource)!;
    return {
      list: () => [...cache.values()],
      get: (ns: string | undefined, name: string) => cache.get(keyOf(ns, name)),
      on: (e: InformerEventName, h: Handler) => this.handlers.get(resource)![e].push(h),
    };
  }

  private resource(ref: ResourceRef) {
    const table = this.table(ref.resource);
    const find = (ns: string | undefined, name: string) => {
      const o = table.get(keyOf(ns, name));
      if (!o) throw new KubeApiError(404, 'NotFound', `${name} not found`);
      return o;
    };
    const patch = (verb: string) => async (ns: string | undefined, name: string, body: JsonValue) => {
      const o = applyJsonMergePatch(find(ns, name) as unknown as JsonValue, body) as unknown as KubeObject;
      this.writes.push(`${verb} ${name} ${JSON.stringify(body)}`);
      this.put(ref, o);
      return clone(o);
    };
    return {
      get: async (ns: string | undefined, name: string) => clone(find(ns, name)),
      create: async (ns: string | undefined, obj: KubeObject) => {
        if (table.has(keyOf(ns, obj.metadata.name!))) throw new KubeApiError(409, 'AlreadyExists', 'exists');
        this.writes.push(`create ${obj.metadata.name}`);
        this.put(ref, obj);
        return clone(find(ns, obj.metadata.name!));
      },
      list: async (ns?: string) => ({
        items: [...table.values()].filter((o) => ns === undefined || o.metadata.namespace === ns).map(clone),
        metadata: { resourceVersion: String(this.rv) },
      }),
      // PUT: 409 when the object changed since it was read, as the API server.
      updateStatus: async (ns: string | undefined, obj: KubeObject) => {
        const current = find(ns, obj.metadata.name!);
        if (current.metadata.resourceVersion !== obj.metadata.resourceVersion)
          throw new KubeApiError(409, 'Conflict', 'the object has been modified');
        this.writes.push(`updateStatus ${obj.metadata.name} ${JSON.stringify(obj.status)}`);
        this.put(ref, { ...current, status: obj.status });
        return clone(find(ns, obj.metadata.name!));
      },
      patch: patch('patch'),
      patchStatus: patch('patchStatus'),
      delete: async (ns: string | undefined, name: string) => {
        find(ns, name);
        this.writes.push(`delete ${name}`);
        table.delete(keyOf(ns, name));
      },
    };
  }
}
