import { KubeObject, errorMessage } from '@skiff/api-machinery';
import { consoleLogger, isNotFound, KubeClientLogger, ResourceClient, ResourceRef } from '@skiff/kube-client';

export type EventType = 'Normal' | 'Warning';

/** core/v1 Event as the recorder writes it. */
export interface CoreEvent extends KubeObject {
  involvedObject: {
    kind?: string;
    namespace?: string;
    name?: string;
    uid?: string;
    apiVersion?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: EventType;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** What the recorder needs from a client (a fake in unit specs). */
export interface EventClient {
  resource<T extends KubeObject>(ref: ResourceRef): Pick<ResourceClient<T>, 'create' | 'patch'>;
}

export interface EventRecorderOptions {
  /** Goes to `source.host` and `reportingInstance`. */
  host?: string;
  clock?: () => Date;
  logger?: KubeClientLogger;
}

const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };
// client-go's EventCorrelator: the same event within this interval bumps the count, and from the 10th distinct
// message of a similar event (same object, type and reason) they are combined into one.
const AGGREGATE_WINDOW_MS = 10 * 60 * 1000;
const AGGREGATE_MAX_MESSAGES = 10;
const COMBINED_PREFIX = '(combined from similar events): ';
// Its spam filter: per object a bucket of 25 events, refilled by one every 5 minutes; what finds it empty is dropped.
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 5 * 60 * 1000;
const MAX_REMEMBERED = 4096;

interface Seen {
  namespace: string;
  name: string;
  count: number;
  lastSeenMs: number;
}

interface Similar {
  messages: Set<string>;
  lastSeenMs: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * Records core/v1 Events about objects, like client-go's EventRecorder and its EventCorrelator: an identical
 * event (same object uid, reason and message) within 10 minutes patches `count` and `lastTimestamp` of the Event
 * already written; the 10th and later distinct messages of one object's type and reason within 10 minutes go to one
 * "(combined from similar events)" Event; an object gets at most 25 Events at once, then one per 5 minutes (the rest
 * are dropped). Events are best effort: failures are logged, never thrown, so `record` may be called without
 * awaiting it.
 */
export class EventRecorder {
  private readonly events: Pick<ResourceClient<CoreEvent>, 'create' | 'patch'>;
  private readonly clock: () => Date;
  private readonly logger: KubeClientLogger;
  // Insertion order doubles as recency order: a hit is re-inserted, the oldest evicted.
  private readonly seen = new Map<string, Seen>();
  private readonly similar = new Map<string, Similar>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly pending = new Map<string, Promise<void>>();
  private lastNanos = 0n;

  constructor(
    client: EventClient,
    private readonly component: string,
    private readonly opts: EventRecorderOptions = {},
  ) {
    this.events = client.resource<CoreEvent>(EVENTS);
    this.clock = opts.clock ?? (() => new Date());
    this.logger = opts.logger ?? consoleLogger;
  }

  /** Resolves when the Event is written or the attempt failed (never rejects). */
  record(involved: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = involved.metadata;
    const object = `${involved.kind ?? ''}\u0000${m.uid ?? `${m.namespace ?? ''}/${m.name ?? ''}`}`;
    const nowMs = this.clock().getTime();
    if (!this.takeToken(object, nowMs)) return Promise.resolve();
    const similarKey = `${object}\u0000${type}\u0000${reason}`;
    const combined = this.isCombined(similarKey, message, nowMs);
    if (combined) message = `${COMBINED_PREFIX}${message}`;
    const key = combined ? similarKey : `${similarKey}\u0000${message}`;
    // One write at a time per key, so two quick repeats count 2 instead of racing to create twice.
    const previous = this.pending.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.write(key, involved, type, reason, message))
      .catch((err: unknown) => {
        this.logger.warn(`event ${reason} on ${m.namespace ?? ''}/${m.name ?? ''} not recorded: ${errorMessage(err)}`);
      })
      .finally(() => {
        if (this.pending.get(key) === next) this.pending.delete(key);
      });
    this.pending.set(key, next);
    return next;
  }

  private async write(
    key: string,
    involved: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.clock();
    const timestamp = metaTime(now);
    const prior = this.seen.get(key);
    if (prior && now.getTime() - prior.lastSeenMs <= AGGREGATE_WINDOW_MS) {
      try {
        await this.events.patch(
          prior.namespace,
          prior.name,
          { count: prior.count + 1, lastTimestamp: timestamp, message },
          'merge',
        );
        this.remember(key, { ...prior, count: prior.count + 1, lastSeenMs: now.getTime() });
        return;
      } catch (err) {
        // Someone deleted the Event (TTL, kubectl): start a new one.
        if (!isNotFound(err)) throw err;
      }
    }
    const m = involved.metadata;
    const namespace = m.namespace || 'default';
    const event: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name ?? 'unknown'}.${this.nanos(now).toString(16)}`, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: m.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.opts.host ?? this.component,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
    const created = await this.events.create(namespace, event);
    this.remember(key, {
      namespace,
      name: created.metadata.name ?? event.metadata.name!,
      count: 1,
      lastSeenMs: now.getTime(),
    });
  }

  private remember(key: string, entry: Seen): void {
    remembered(this.seen, key, entry);
  }

  // The spam filter's token bucket for the object.
  private takeToken(object: string, nowMs: number): boolean {
    const b = this.buckets.get(object) ?? { tokens: SPAM_BURST, atMs: nowMs };
    const tokens = Math.min(SPAM_BURST, b.tokens + (nowMs - b.atMs) / SPAM_REFILL_MS);
    const allowed = tokens >= 1;
    remembered(this.buckets, object, { tokens: allowed ? tokens - 1 : tokens, atMs: nowMs });
    return allowed;
  }

  // The aggregator: true once the similar event has had AGGREGATE_MAX_MESSAGES distinct messages in the window.
  private isCombined(similarKey: string, message: string, nowMs: number): boolean {
    const prior = this.similar.get(similarKey);
    const entry: Similar =
      prior && nowMs - prior.lastSeenMs <= AGGREGATE_WINDOW_MS ? prior : { messages: new Set(), lastSeenMs: nowMs };
    entry.messages.add(message);
    entry.lastSeenMs = nowMs;
    remembered(this.similar, similarKey, entry);
    return entry.messages.size >= AGGREGATE_MAX_MESSAGES;
  }

  // Unix nanoseconds as client-go names events, kept strictly increasing so names never collide.
  private nanos(now: Date): bigint {
    const n = BigInt(now.getTime()) * 1_000_000n;
    this.lastNanos = n > this.lastNanos ? n : this.lastNanos + 1n;
    return this.lastNanos;
  }
}

/** metav1.Time: RFC 3339 in whole seconds. */
function metaTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// An LRU of MAX_REMEMBERED entries: insertion order doubles as recency order, the oldest evicted.
function remembered<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}
