import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { ApiError, KubeObject } from '@skiff/api-machinery';
import { CachedChange, WatchCacheService } from '../storage/watch-cache.service';
import { ListOptions, matchesListOptions } from './list-options';
import { fromStorage, ResourceContext } from './resource-context';
import { ResourceReaderService } from './resource-reader.service';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchSink {
  /** `line` is the event already serialised (shared by every watcher of the same change). */
  send(event: WatchEvent, line?: string): void;
  /** Resolves when the client goes away. */
  closed: Promise<void>;
}

const DEFAULT_TIMEOUT_S = 1800;
const BOOKMARK_EVERY_MS = 60_000;

/**
 * Serves a watch: optional initial state, then the change stream from the requested
 * resourceVersion, filtered by selectors with enter/leave translated into ADDED/DELETED.
 */
@Injectable()
export class WatchService implements BeforeApplicationShutdown {
  // Open watches end when the gateway stops, so the HTTP server can close and clients reconnect.
  private readonly stopping: Promise<void>;
  private stop!: () => void;

  constructor(
    private readonly cache: WatchCacheService,
    private readonly reader: ResourceReaderService,
  ) {
    this.stopping = new Promise((resolve) => (this.stop = resolve));
  }

  beforeApplicationShutdown(): void {
    this.stop();
  }

  async watch(ctx: ResourceContext, opts: ListOptions, sink: WatchSink): Promise<void> {
    if (!this.cache.isReady()) throw ApiError.unavailable('the watch cache is not ready yet');
    const scope = {
      group: ctx.type.group,
      resource: ctx.type.resource,
      namespace: ctx.namespace === '' ? undefined : ctx.namespace,
    };
    const rvParam = opts.resourceVersion;
    let fromRv: number;
    const initial = opts.sendInitialEvents || rvParam === undefined || rvParam === '' || rvParam === '0';
    if (!initial) {
      fromRv = Number(rvParam);
      if (!Number.isInteger(fromRv) || fromRv < 0) throw ApiError.badRequest(`invalid resource version: ${rvParam}`);
    }

    const pending: [WatchEvent, string | undefined][] = [];
    let ready = false;
    const emit = (e: WatchEvent, line?: string): void => (ready ? sink.send(e, line) : void pending.push([e, line]));
    // A change this server cannot read (encryption key missing or wrong) ends the watch with an ERROR, as etcd3's watcher.
    let fail!: () => void;
    let broken = false;
    const failed = new Promise<void>((resolve) => (fail = resolve));
    const onChange = (c: CachedChange): void => {
      if (broken) return;
      if (c.error) {
        broken = true;
        emit({ type: 'ERROR', object: c.error.toStatus() as unknown as KubeObject });
        fail();
        return;
      }
      const translated = this.translate(ctx, opts, c);
      if (translated) emit(translated, serialised(c, translated));
    };

    let unsubscribe: () => void;
    if (initial) {
      const list = await this.reader.list(ctx, { ...opts, limit: undefined, continueToken: undefined });
      fromRv = Number(list.resourceVersion);
      await this.cache.waitFor(fromRv, 5000);
      for (const item of list.items) sink.send({ type: 'ADDED', object: item });
      unsubscribe = this.cache.watch(scope, fromRv, onChange);
      if (opts.sendInitialEvents) {
        sink.send(this.bookmark(ctx, String(fromRv), { 'k8s.io/initial-events-end': 'true' }));
      }
    } else {
      unsubscribe = this.cache.watch(scope, fromRv!, onChange);
    }
    ready = true;
    for (const [e, line] of pending) sink.send(e, line);

    const timeout = (opts.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
    const bookmarks = opts.allowWatchBookmarks
      ? setInterval(() => sink.send(this.bookmark(ctx, String(this.cache.latestResourceVersion()))), BOOKMARK_EVERY_MS)
      : undefined;
    try {
      await Promise.race([
        sink.closed,
        this.stopping,
        failed,
        new Promise<void>((r) => setTimeout(r, timeout).unref()),
      ]);
    } finally {
      unsubscribe();
      clearInterval(bookmarks);
    }
  }

  private translate(ctx: ResourceContext, opts: ListOptions, c: CachedChange): WatchEvent | undefined {
    const obj = fromStorage(ctx, c.object as KubeObject);
    const now = matchesListOptions(opts, obj);
    if (c.type !== 'MODIFIED' || !c.prev) return now ? { type: c.type, object: obj } : undefined;
    const before = matchesListOptions(opts, c.prev as KubeObject);
    if (before && now) return { type: 'MODIFIED', object: obj };
    if (now) return { type: 'ADDED', object: obj };
    if (before) return { type: 'DELETED', object: obj };
    return undefined;
  }

  private bookmark(ctx: ResourceContext, rv: string, annotations?: Record<string, string>): WatchEvent {
    return {
      type: 'BOOKMARK',
      object: {
        kind: ctx.type.kind,
        apiVersion: ctx.apiVersion,
        metadata: { resourceVersion: rv, ...(annotations ? { annotations } : {}) },
      },
    };
  }
}

// Hundreds of watchers see the same change: serialise it once per event type (and served version).
const lines = new WeakMap<CachedChange, Map<string, string>>();

function serialised(c: CachedChange, e: WatchEvent): string {
  let byType = lines.get(c);
  if (!byType) lines.set(c, (byType = new Map()));
  const key = `${e.type} ${e.object.apiVersion ?? ''}`;
  let line = byType.get(key);
  if (line === undefined) byType.set(key, (line = `${JSON.stringify(e)}\n`));
  return line;
}
