import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import { StorageTransformers, StoredBody } from '@skiff/api-server';
import { ApiGatewayConfig } from '@skiff/config';
import { ChangeEvent, ChangesStreamNames, changesStreamNames, ensureChangesStream } from '@skiff/messaging';
import { ConsumerMessages, DeliverPolicy, NatsConnection } from 'nats';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { NATS_CONNECTION } from '../platform/nats.provider';
import { ObjectStoreRepository } from './object-store.repository';
import { readStoredBody } from './stored-body';

export interface WatchScope {
  group: string;
  resource: string;
  namespace?: string;
}

/** A change with its bodies read (decrypted); `error` when this server could not read them (a missing or wrong key). */
export interface CachedChange extends ChangeEvent {
  error?: ApiError;
}

export type WatchListener = (event: CachedChange) => void;

interface Subscription {
  scope: WatchScope;
  listener: WatchListener;
}

/**
 * Recent change events, fed from JetStream in resourceVersion order, replayed to new watchers
 * from the resourceVersion they ask for and fanned out live. Like kube-apiserver's watch
 * cache: a resourceVersion older than the window gets 410 Expired and the client relists.
 */
@Injectable()
export class WatchCacheService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(WatchCacheService.name);
  private events: CachedChange[] = [];
  /** Every change after this resourceVersion is in `events` (or has been evicted into it). */
  private startRv = 0;
  private latest = 0;
  private ready = false;
  private readonly subscriptions = new Set<Subscription>();
  private messages?: ConsumerMessages;
  private readonly progressWaiters: { rv: number; resolve: () => void }[] = [];

  private readonly names: ChangesStreamNames;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly store: ObjectStoreRepository,
    private readonly transformers: StorageTransformers,
  ) {
    this.names = changesStreamNames(config.natsPrefix);
  }

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await ensureChangesStream(jsm, this.names, this.config.streamMaxMsgs);
    const info = await jsm.streams.info(this.names.stream);
    const lastSeq = info.state.last_seq;
    const js = this.nc.jetstream();
    if (info.state.messages === 0) {
      this.startRv = this.latest = await this.store.currentResourceVersion();
      this.ready = true;
    }
    const startSeq = Math.max(info.state.first_seq, lastSeq - this.config.watchWindow + 1, 1);
    // Always by start sequence: from an empty stream that takes everything published meanwhile.
    // (nats.js ordered consumers with an explicit DeliverPolicy.All never deliver.)
    const consumer = await js.consumers.get(this.names.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
    });
    this.messages = await consumer.consume();
    const bootDone = new Promise<void>((resolve) => {
      if (this.ready) resolve();
      void (async () => {
        for await (const m of this.messages!) {
          this.ingest(m.json<ChangeEvent<StoredBody>>());
          if (!this.ready && m.seq >= lastSeq) {
            this.ready = true;
            resolve();
          }
        }
      })().catch((err: unknown) => this.log.error(`watch cache consumer stopped: ${String(err)}`));
    });
    await bootDone;
    this.log.log(`watch cache ready at resourceVersion ${this.latest}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.messages?.close();
  }

  isReady(): boolean {
    return this.ready;
  }

  latestResourceVersion(): number {
    return this.latest;
  }

  private ingest(stored: ChangeEvent<StoredBody>): void {
    if (stored.rv <= this.latest) return; // a republished duplicate or history older than the window
    const event = this.read(stored);
    if (this.events.length === 0 && this.startRv === 0) this.startRv = event.rv - 1;
    this.events.push(event);
    this.latest = event.rv;
    if (this.events.length > this.config.watchWindow) {
      const drop = this.events.length - this.config.watchWindow;
      this.startRv = this.events[drop - 1].rv;
      this.events = this.events.slice(drop);
    }
    for (const sub of this.subscriptions) {
      if (inScope(sub.scope, event)) sub.listener(event);
    }
    while (this.progressWaiters.length > 0 && this.progressWaiters[0].rv <= this.latest) {
      this.progressWaiters.shift()!.resolve();
    }
  }

  // Like kube-apiserver's watch cache, this one holds objects decrypted; the stream and Postgres hold them as stored.
  private read(e: ChangeEvent<StoredBody>): CachedChange {
    const { rv, type, group, resource, namespace, name } = e;
    const key = { group, resource, namespace, name };
    try {
      const object = readStoredBody(this.transformers, key, e.object).object;
      const prev = e.prev === undefined ? undefined : readStoredBody(this.transformers, key, e.prev).object;
      return { rv, type, group, resource, namespace, name, object, ...(prev ? { prev } : {}) };
    } catch (err) {
      const error = ApiError.from(err);
      this.log.error(error.message);
      return { rv, type, group, resource, namespace, name, object: { metadata: { name, namespace } }, error };
    }
  }

  /**
   * Replays events after `fromRv` then follows live. Throws 410 Expired when the window no
   * longer reaches back to `fromRv`. Returns the unsubscribe function.
   */
  watch(scope: WatchScope, fromRv: number, listener: WatchListener): () => void {
    if (fromRv < this.startRv) {
      throw ApiError.expired(`too old resource version: ${fromRv} (${this.startRv + 1})`);
    }
    const first = lowerBound(this.events, fromRv + 1);
    for (let i = first; i < this.events.length; i++) {
      if (inScope(scope, this.events[i])) listener(this.events[i]);
    }
    const sub: Subscription = { scope, listener };
    this.subscriptions.add(sub);
    return () => this.subscriptions.delete(sub);
  }

  /** Resolves once the cache has seen `rv` (used so a watch started after a write sees it). */
  waitFor(rv: number, timeoutMs: number): Promise<void> {
    if (rv <= this.latest) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { rv, resolve };
      this.progressWaiters.push(waiter);
      this.progressWaiters.sort((a, b) => a.rv - b.rv);
      setTimeout(() => {
        const i = this.progressWaiters.indexOf(waiter);
        if (i >= 0) this.progressWaiters.splice(i, 1);
        resolve();
      }, timeoutMs).unref();
    });
  }
}

function inScope(scope: WatchScope, e: CachedChange): boolean {
  return (
    e.group === scope.group &&
    e.resource === scope.resource &&
    (scope.namespace === undefined || e.namespace === scope.namespace)
  );
}

function lowerBound(events: CachedChange[], rv: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid].rv < rv) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
