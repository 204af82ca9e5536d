import { KubeObject, deepFreeze, errorMessage } from '@skiff/api-machinery';
import {
  consoleLogger,
  isExpired,
  KubeApiError,
  KubeClientLogger,
  ResourceClient,
  WatchEvent,
  WatchHandle,
} from '@skiff/kube-client';
import { InterruptibleSleep } from './interruptible-sleep';

/** What an informer needs from a resource handle (a fake in unit specs). */
export type ListWatcher<T extends KubeObject> = Pick<ResourceClient<T>, 'list' | 'watch'>;

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver every cached object as an `update` this often: the controllers' repair loop. */
  resyncMs?: number;
  /** List page size; default 500 as client-go's pager. */
  pageSize?: number;
  /** Connection-error backoff; default 500 ms doubling to 8 s. */
  backoff?: { initialMs: number; maxMs: number };
  logger?: KubeClientLogger;
}

export type InformerEventName = 'add' | 'update' | 'delete';
/** `old` is given to `update` handlers; on a resync it is the same object as `obj`. */
export type InformerHandler<T> = (obj: T, old?: T) => void;

/**
 * A list+watch cache of one resource type, like client-go's SharedInformer: lists, then
 * watches from the list's resourceVersion; re-watches from the last seen resourceVersion
 * when a watch ends; relists (emitting the difference) on 410 Expired; backs off and
 * retries connection errors until stopped.
 *
 * Cached objects are deep-frozen when they enter the cache, and handed out as they are:
 * freezing once is cheaper than cloning on every read, and a caller that mutates one gets a
 * TypeError instead of silently corrupting the cache. Copy with `structuredClone` before
 * editing (as controllers DeepCopy).
 */
export class Informer<T extends KubeObject = KubeObject> {
  private cache = new Map<string, T>();
  private readonly handlers: Record<InformerEventName, Set<InformerHandler<T>>> = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  private readonly logger: KubeClientLogger;
  private running?: Promise<void>;
  private stopped = false;
  private synced = false;
  private lastRv = '';
  private watch?: WatchHandle;
  private readonly pause = new InterruptibleSleep();
  private resyncTimer?: NodeJS.Timeout;
  private syncWaiters: (() => void)[] = [];

  constructor(
    private readonly source: ListWatcher<T>,
    private readonly opts: InformerOptions = {},
  ) {
    this.logger = opts.logger ?? consoleLogger;
  }

  /** Starts listing and watching in the background; see waitForSync(). */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
    if (this.opts.resyncMs) this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs);
  }

  /** Ends the watch and the retry loop; resolves once the loop has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.watch?.stop();
    this.pause.wake();
    await this.running;
    this.running = undefined;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache; rejects after `timeoutMs`. */
  waitForSync(timeoutMs: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        reject(new Error(`informer did not sync within ${timeoutMs} ms`));
      }, timeoutMs);
      this.syncWaiters.push(waiter);
    });
  }

  /** Every cached object (frozen). */
  list(): T[] {
    return [...this.cache.values()];
  }

  /** The cached object (frozen); `namespace` is ignored for cluster-scoped kinds' '' key. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(keyOf(namespace, name));
  }

  /** The resourceVersion the cache is current to (from the last list, event or bookmark). */
  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  /** Registers a handler; returns a function that removes it. Handlers added late do not see past events. */
  on(event: InformerEventName, handler: InformerHandler<T>): () => void {
    this.handlers[event].add(handler);
    return () => this.handlers[event].delete(handler);
  }

  private async loop(): Promise<void> {
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 500, maxMs: 8000 };
    let delay = initialMs;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          delay = initialMs;
        }
        const started = Date.now();
        const events = await this.watchOnce();
        if (events > 0 || Date.now() - started > 1000) delay = initialMs;
        // A watch that ends at once with nothing in it would otherwise spin.
        else if (!this.stopped) {
          await this.pause.sleep(delay);
          delay = Math.min(delay * 2, maxMs);
        }
      } catch (err) {
        if (this.stopped) break;
        if (isExpired(err)) {
          // Our resourceVersion fell out of the server's history: start over from a fresh list.
          needList = true;
          continue;
        }
        this.logger.warn(
          `informer: ${needList ? 'list' : 'watch'} failed, retrying in ${delay} ms: ${errorMessage(err)}`,
        );
        await this.pause.sleep(delay);
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  private async relist(): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    const fresh = new Map<string, T>();
    let rv: string | undefined;
    let cont: string | undefined;
    let limit: number | undefined = this.opts.pageSize ?? 500;
    do {
      let page;
      try {
        page = await this.source.list(namespace, { labelSelector, fieldSelector, limit, continue: cont });
      } catch (err) {
        if (!(cont && isExpired(err))) throw err;
        // The continue token outlived its snapshot: take everything in one list, as client-go's pager does.
        fresh.clear();
        rv = undefined;
        cont = undefined;
        limit = undefined;
        continue;
      }
      rv ??= page.metadata.resourceVersion;
      for (const item of page.items)
        fresh.set(keyOf(item.metadata.namespace, item.metadata.name ?? ''), deepFreeze(item));
      cont = page.metadata.continue || undefined;
    } while (cont && !this.stopped);
    if (this.stopped) return;

    const old = this.cache;
    this.cache = fresh;
    this.lastRv = rv ?? '';
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (!before) this.emit('add', obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj, before);
    }
    for (const [key, before] of old) if (!fresh.has(key)) this.emit('delete', before);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** One watch from lastRv; resolves with the number of events when it ends. */
  private async watchOnce(): Promise<number> {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    let events = 0;
    // A random 5–10 minute timeout, as client-go's reflector, spreads reconnects of many informers.
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    this.watch = this.source.watch(
      namespace,
      { resourceVersion: this.lastRv, labelSelector, fieldSelector, allowWatchBookmarks: true, timeoutSeconds },
      (e) => {
        events++;
        this.apply(e);
      },
    );
    // The server ends the watch at timeoutSeconds; if nothing arrives by then the peer is gone silently.
    const guard = setTimeout(() => this.watch?.stop(), (timeoutSeconds + 30) * 1000);
    try {
      await this.watch.done;
    } finally {
      clearTimeout(guard);
      this.watch = undefined;
    }
    return events;
  }

  private apply(e: WatchEvent<T>): void {
    if (this.stopped) return;
    // An ERROR (410 Expired among them) ends this watch; the loop decides what follows.
    if (e.type === 'ERROR') throw KubeApiError.fromResponse(e.object.code ?? 500, e.object);
    const rv = e.object.metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      if (rv) this.lastRv = rv;
      return;
    }
    const obj = deepFreeze(e.object);
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    const before = this.cache.get(key);
    if (e.type === 'DELETED') {
      this.cache.delete(key);
      if (before) this.emit('delete', obj);
    } else {
      this.cache.set(key, obj);
      if (before) this.emit('update', obj, before);
      else this.emit('add', obj);
    }
    if (rv) this.lastRv = rv;
  }

  private resync(): void {
    if (!this.synced || this.stopped) return;
    for (const obj of this.cache.values()) this.emit('update', obj, obj);
  }

  private emit(event: InformerEventName, obj: T, old?: T): void {
    for (const h of this.handlers[event]) {
      try {
        h(obj, old);
      } catch (err) {
        // One failing handler must not starve the others or stop the informer.
        this.logger.warn(
          `informer: ${event} handler failed for ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: ${errorMessage(err)}`,
        );
      }
    }
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
