import { KubeObject, Status } from '@skiff/api-machinery';
import { IncomingMessage } from 'node:http';
import type { KubeClient } from './kube-client';

/** Which resource a handle addresses: `group` is '' for core/v1. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Plural, e.g. "pods". */
  resource: string;
  namespaced: boolean;
}

export interface KubeList<T extends KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface CreateOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions {
  fieldManager?: string;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
  /** e.g. "status" or "scale". */
  subresource?: string;
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEvent<T extends KubeObject> =
  { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T } | { type: 'ERROR'; object: Status };

export interface WatchHandle {
  /** Resolves when the server ends the stream or stop() is called; rejects on a connection error, an HTTP error (KubeApiError) or a throwing handler. */
  done: Promise<void>;
  stop(): void;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  // JSON is YAML, so the apply body goes as JSON under the apply media type.
  apply: 'application/apply-patch+yaml',
};

/** CRUD, patch and watch on one resource type, like a client-go typed client. */
export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    private readonly client: KubeClient,
    readonly ref: ResourceRef,
  ) {}

  get(ns: string | undefined, name: string): Promise<T> {
    return this.client.request<T>('GET', this.path(ns, name));
  }

  list(ns?: string, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.client.request<KubeList<T>>('GET', this.path(ns, undefined, undefined, query({ ...opts })));
  }

  create(ns: string | undefined, obj: T, opts: CreateOptions = {}): Promise<T> {
    return this.client.request<T>(
      'POST',
      this.path(
        ns,
        undefined,
        undefined,
        query({ dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager }),
      ),
      obj,
    );
  }

  /** PUT: optimistic concurrency on `metadata.resourceVersion` (409 Conflict when stale). */
  update(ns: string | undefined, obj: T): Promise<T> {
    return this.client.request<T>('PUT', this.path(ns, nameOf(obj)), obj);
  }

  updateStatus(ns: string | undefined, obj: T): Promise<T> {
    return this.client.request<T>('PUT', this.path(ns, nameOf(obj), 'status'), obj);
  }

  patch(ns: string | undefined, name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    const q = query({
      fieldManager: opts.fieldManager,
      force: opts.force === undefined ? undefined : String(opts.force),
      dryRun: opts.dryRun ? 'All' : undefined,
    });
    return this.client.request<T>('PATCH', this.path(ns, name, opts.subresource, q), patch, PATCH_CONTENT_TYPES[type]);
  }

  patchStatus(
    ns: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: Omit<PatchOptions, 'subresource'> = {},
  ): Promise<T> {
    return this.patch(ns, name, patch, type, { ...opts, subresource: 'status' });
  }

  /** Answers the object (still there with finalizers or a grace period) or a success Status. */
  delete(ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    };
    return this.client.request<T | Status>(
      'DELETE',
      this.path(ns, name, undefined, query({ dryRun: opts.dryRun ? 'All' : undefined })),
      body,
    );
  }

  /** Streams `{type, object}` events to `onEvent` until the server ends the watch or `stop()`. */
  watch(ns: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const abort = new AbortController();
    const q = query({
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: opts.timeoutSeconds === undefined ? undefined : String(opts.timeoutSeconds),
    });
    const done = (async () => {
      let res: IncomingMessage;
      try {
        res = await this.client.stream(this.path(ns, undefined, undefined, q), { signal: abort.signal });
      } catch (err) {
        if (abort.signal.aborted) return;
        throw err;
      }
      await readEvents(res, abort, (line) => onEvent(JSON.parse(line) as WatchEvent<T>));
    })();
    return { done, stop: () => abort.abort() };
  }

  /** The request path; `ns` is ignored for cluster-scoped resources, and listing without it spans all namespaces. */
  path(ns: string | undefined, name?: string, subresource?: string, q = ''): string {
    const { group, version, resource, namespaced } = this.ref;
    let p = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    if (namespaced && ns) p += `/namespaces/${encodeURIComponent(ns)}`;
    p += `/${resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return q ? `${p}?${q}` : p;
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('the object has no metadata.name');
  return name;
}

function query(params: { [key: string]: string | number | undefined }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

// Newline-delimited JSON; ends cleanly on the server's end or our abort, fails on a cut connection.
function readEvents(res: IncomingMessage, abort: AbortController, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      abort.signal.removeEventListener('abort', onAbort);
      if (err !== undefined && !abort.signal.aborted) reject(err);
      else resolve();
    };
    const onAbort = (): void => {
      res.destroy();
      finish();
    };
    abort.signal.addEventListener('abort', onAbort);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while (!settled && (i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line === '') continue;
        try {
          onLine(line);
        } catch (err) {
          // A throwing handler ends this watch; its error is the watch's outcome.
          settled = true;
          abort.signal.removeEventListener('abort', onAbort);
          res.destroy();
          reject(err);
        }
      }
    });
    res.on('end', () => finish());
    res.on('error', (err) => finish(err));
    res.on('close', () =>
      finish(res.complete ? undefined : new Error('the watch connection closed before the stream ended')),
    );
  });
}
