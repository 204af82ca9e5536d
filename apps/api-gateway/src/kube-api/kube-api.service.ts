import { Injectable } from '@nestjs/common';
import { ApiError, Clock, KubeObject } from '@skiff/api-machinery';
import { ResourceRegistry, toTable } from '@skiff/api-server';
import type { GonePod } from '@skiff/messaging';
import { Readable } from 'node:stream';
import type { UserInfo } from '../auth/request-user';
import { AccessReviewService, AUTHORIZATION_GROUP } from '../authorization/access-review.service';
import { SelfSubjectReviewService } from '../auth/self-subject-review.service';
import { ServiceAccountTokenService } from '../auth/service-account-token.service';
import { TokenReviewService } from '../auth/token-review.service';
import { ContainerLogsService } from '../pod-streams/container-logs.service';
import { LogSvcClient } from '../pod-streams/log-svc.client';
import { ResourceMetricsService } from '../resource-metrics/resource-metrics.service';
import { fieldValidationOf } from './admission.service';
import { decodeBody, decodeObject, mediaType, readBody } from './body';
import { deleteOptionsOf, DeletionService } from './deletion.service';
import { listOptionsOf } from './list-options';
import { responseShape, TABLE_MEDIA } from './negotiation';
import { PodBindingService } from './pod-binding.service';
import { PodEvictionService } from './pod-eviction.service';
import { RequestInfo } from './request-info';
import { resolveResource, ResourceContext, subjectOf } from './resource-context';
import { ResourceReaderService } from './resource-reader.service';
import { ResourceWriterService, WriteOptions, WriteOutcome } from './resource-writer.service';
import { WatchService, WatchSink } from './watch.service';

export interface KubeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Readable;
  /** The authenticated (or impersonated) user. */
  user?: UserInfo;
}

export type KubeResponse =
  | {
      type: 'json';
      code: number;
      body: unknown;
      contentType?: string;
      warnings?: string[];
      /** Admission's notes for the request's audit event. */
      auditAnnotations?: Record<string, string>;
    }
  | { type: 'stream'; contentType: string; body: Readable }
  | { type: 'watch'; contentType: string; run: (sink: WatchSink) => Promise<void>; warnings?: string[] };

const LOGSTORES = { group: 'logs.skiff.io', resource: 'logstores' };

/** Dispatches a resource request to the verb that serves it and shapes the answer. */
@Injectable()
export class KubeApiService {
  constructor(
    readonly registry: ResourceRegistry,
    private readonly reader: ResourceReaderService,
    private readonly writer: ResourceWriterService,
    private readonly deletion: DeletionService,
    private readonly watcher: WatchService,
    private readonly clock: Clock,
    private readonly containerLogs: ContainerLogsService,
    private readonly reviews: SelfSubjectReviewService,
    private readonly eviction: PodEvictionService,
    private readonly binding: PodBindingService,
    private readonly logSvc: LogSvcClient,
    private readonly resourceMetrics: ResourceMetricsService,
    private readonly serviceAccountTokens: ServiceAccountTokenService,
    private readonly accessReviews: AccessReviewService,
    private readonly tokenReviews: TokenReviewService,
  ) {}

  async handle(info: RequestInfo, req: KubeRequest): Promise<KubeResponse> {
    if (info.group === LOGSTORES.group && info.resource === LOGSTORES.resource && info.subresource === 'query')
      return this.logstoreQuery(info, req);
    const ctx: ResourceContext = { ...resolveResource(this.registry, info, req.path), user: req.user };
    const out = await this.serve(ctx, info, req);
    // A custom resource version marked deprecated says so on every answer, first.
    const deprecation = ctx.type.custom?.deprecationWarning;
    return deprecation && out.type !== 'stream' ? { ...out, warnings: [deprecation, ...(out.warnings ?? [])] } : out;
  }

  private async serve(ctx: ResourceContext, info: RequestInfo, req: KubeRequest): Promise<KubeResponse> {
    const sub = info.subresource;
    if (sub === 'log') return this.logs(ctx, info.name!, req.query);
    if (sub === 'exec' || sub === 'portforward' || sub === 'attach') return this.podStream(ctx, info.name!);
    const table = responseShape(req.headers.accept).table;
    if (ctx.type.computed) return this.computed(ctx, info, req, table);
    switch (info.verb) {
      case 'get':
        return this.getOne(ctx, info.name!, req, table);
      case 'list': {
        const list = await this.reader.list(ctx, listOptionsOf(ctx.type, req.query));
        const listMeta = {
          resourceVersion: list.resourceVersion,
          ...(list.continue ? { continue: list.continue } : {}),
        };
        return this.listOf(ctx, list.items, listMeta, table, req.query);
      }
      case 'watch': {
        const opts = listOptionsOf(ctx.type, req.query);
        if (info.name) opts.name = info.name;
        return {
          type: 'watch',
          contentType: table ? TABLE_MEDIA : 'application/json',
          run: (sink) => this.watcher.watch(ctx, opts, table ? this.tableSink(ctx, sink, req.query) : sink),
        };
      }
      case 'create': {
        const body = decodeObject(await readBody(req.body), req.headers['content-type'], requestKind(ctx));
        if (sub === 'binding')
          return {
            type: 'json',
            code: 201,
            body: await this.binding.bind(ctx, info.name!, body, this.writeOptions(req).dryRun),
          };
        if (sub === 'eviction')
          return { type: 'json', ...(await this.eviction.evict(ctx, info.name!, body, req.query)) };
        if (sub === 'token')
          return {
            type: 'json',
            code: 201,
            body: await this.serviceAccountTokens.tokenRequest(ctx.namespace, info.name!, body),
          };
        if (ctx.type.group === AUTHORIZATION_GROUP) {
          const kind = ctx.type.kind as Parameters<AccessReviewService['review']>[0];
          return {
            type: 'json',
            code: 201,
            body: await this.accessReviews.review(kind, body, ctx.namespace, req.user),
          };
        }
        if (ctx.type.group === 'authentication.k8s.io' && ctx.type.resource === 'selfsubjectreviews') {
          return { type: 'json', code: 201, body: this.reviews.review(body, req.user) };
        }
        if (ctx.type.group === 'authentication.k8s.io' && ctx.type.resource === 'tokenreviews') {
          return { type: 'json', code: 201, body: await this.tokenReviews.review(body) };
        }
        const out = await this.writer.create(ctx, body, this.writeOptions(req));
        return written(out);
      }
      case 'update': {
        const body = decodeObject(await readBody(req.body), req.headers['content-type'], requestKind(ctx));
        const out = await this.writer.update(ctx, info.name!, body, this.writeOptions(req));
        return written(out);
      }
      case 'patch': {
        const contentType = mediaType(req.headers['content-type']);
        const patch = decodeBody(await readBody(req.body), contentType);
        const out = await this.writer.patch(ctx, info.name!, contentType, patch, this.writeOptions(req));
        return written(out);
      }
      case 'delete': {
        const raw = await readBody(req.body);
        const opts = deleteOptionsOf(raw.length ? decodeBody(raw, req.headers['content-type']) : undefined, req.query);
        const out = await this.deletion.delete(ctx, info.name!, opts);
        return { type: 'json', code: 200, body: out.object };
      }
      case 'deletecollection':
        return this.deleteCollection(ctx, req);
    }
  }

  /**
   * metrics.k8s.io: get and list only, without resourceVersions or paging, as metrics-server; a watch is refused by
   * the list handler, other methods find no route (go-restful's bare 405).
   */
  private async computed(
    ctx: ResourceContext,
    info: RequestInfo,
    req: KubeRequest,
    table: boolean,
  ): Promise<KubeResponse> {
    switch (info.verb) {
      case 'get':
        return this.single(ctx, await this.resourceMetrics.get(ctx.type, ctx.namespace, info.name!), table, req.query);
      case 'list': {
        const items = await this.resourceMetrics.list(ctx.type, ctx.namespace, listOptionsOf(ctx.type, req.query));
        return this.listOf(ctx, items, {}, table, req.query);
      }
      case 'watch':
        throw ApiError.methodNotSupported(subjectOf(ctx), 'watch');
      default:
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
          {},
        );
    }
  }

  private listOf(
    ctx: ResourceContext,
    items: readonly KubeObject[],
    listMeta: { resourceVersion?: string; continue?: string },
    table: boolean,
    query: URLSearchParams,
  ): KubeResponse {
    if (table) {
      return {
        type: 'json',
        code: 200,
        contentType: TABLE_MEDIA,
        body: toTable(ctx.type, items, { now: this.clock.now(), includeObject: includeObjectOf(query), listMeta }),
      };
    }
    return {
      type: 'json',
      code: 200,
      body: { kind: `${ctx.type.kind}List`, apiVersion: ctx.apiVersion, metadata: listMeta, items },
    };
  }

  /**
   * GET of one object. `kubectl logs` GETs a pod before it asks for its log, so for a pod that is gone but whose output
   * log-svc keeps, kubectl's GET (only kubectl logs', by its Kubectl-Command header) gets a stand-in: the pod's name,
   * uid and the containers whose logs are kept, with a warning that says what it is. Every other client gets the 404.
   */
  private async getOne(ctx: ResourceContext, name: string, req: KubeRequest, table: boolean): Promise<KubeResponse> {
    try {
      return this.single(ctx, await this.reader.get(ctx, name), table, req.query);
    } catch (err) {
      const forLogs =
        req.headers['kubectl-command'] === 'kubectl logs' && ctx.type.group === '' && ctx.type.kind === 'Pod';
      if (!(err instanceof ApiError) || err.code !== 404 || !forLogs) throw err;
      const gone = await this.logSvc
        .get(`/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(name)}`)
        .then(async (res) => JSON.parse((await readBody(res)).toString('utf8')) as GonePod)
        .catch(() => undefined);
      if (!gone) throw err;
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ctx.namespace, uid: gone.uid, creationTimestamp: gone.firstSeen },
        spec: { containers: gone.containers.map((c) => ({ name: c, image: '' })) },
        status: { phase: 'Unknown', reason: 'Deleted', message: 'The pod is gone; the log store keeps its output.' },
      };
      return {
        ...this.single(ctx, pod, table, req.query),
        warnings: [`pod "${name}" is gone: its logs are read from the log store`],
      };
    }
  }

  private single(
    ctx: ResourceContext,
    obj: KubeObject,
    table: boolean,
    query: URLSearchParams,
  ): Extract<KubeResponse, { type: 'json' }> {
    if (!table || ctx.info.subresource === 'scale') return { type: 'json', code: 200, body: obj };
    return {
      type: 'json',
      code: 200,
      contentType: TABLE_MEDIA,
      body: toTable(ctx.type, [obj], { now: this.clock.now(), includeObject: includeObjectOf(query) }),
    };
  }

  private async deleteCollection(ctx: ResourceContext, req: KubeRequest): Promise<KubeResponse> {
    const raw = await readBody(req.body);
    const opts = deleteOptionsOf(raw.length ? decodeBody(raw, req.headers['content-type']) : undefined, req.query);
    const list = await this.reader.list(ctx, listOptionsOf(ctx.type, req.query));
    const items: KubeObject[] = [];
    for (const item of list.items) {
      const itemCtx: ResourceContext = { ...ctx, namespace: item.metadata.namespace ?? '' };
      try {
        items.push((await this.deletion.delete(itemCtx, item.metadata.name!, opts)).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return {
      type: 'json',
      code: 200,
      body: {
        kind: `${ctx.type.kind}List`,
        apiVersion: ctx.apiVersion,
        metadata: { resourceVersion: list.resourceVersion },
        items,
      },
    };
  }

  private async logs(ctx: ResourceContext, name: string, query: URLSearchParams): Promise<KubeResponse> {
    let pod: KubeObject;
    try {
      pod = await this.reader.get({ ...ctx, info: { ...ctx.info, subresource: undefined } }, name);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 404) throw err;
      // A pod that is gone: what log-svc kept of its output, within its logstores' retention; else the 404 (also
      // when log-svc cannot be reached). What log-svc refuses (a container it does not know, --previous) is its answer.
      const kept = await this.logSvc
        .get(`/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(name)}/log?${query}`)
        .catch((refused: unknown) => {
          if (refused instanceof ApiError && refused.code !== 404 && refused.code !== 503) throw refused;
          return undefined;
        });
      if (!kept) throw err;
      return { type: 'stream', contentType: 'text/plain', body: kept };
    }
    return { type: 'stream', contentType: 'text/plain', body: await this.containerLogs.open(pod, query) };
  }

  /**
   * `GET /apis/logs.skiff.io/v1/namespaces/{ns}/logstores/{name}/query`: log-svc's search over a logstore (JSON, or
   * newline-delimited JSON while following), proxied with the query string as given.
   */
  private async logstoreQuery(info: RequestInfo, req: KubeRequest): Promise<KubeResponse> {
    if (!this.registry.get(info.group, info.version, info.resource) || !info.namespace || !info.name)
      throw ApiError.pathNotFound(req.path);
    if (info.verb !== 'get')
      throw ApiError.methodNotAllowed(`the server does not allow this method on the requested resource`);
    const res = await this.logSvc.get(
      `/namespaces/${encodeURIComponent(info.namespace)}/logstores/${encodeURIComponent(info.name)}/query?${req.query}`,
    );
    return { type: 'stream', contentType: String(res.headers['content-type'] ?? 'application/json'), body: res };
  }

  // exec/attach/portforward are WebSocket upgrades (PodUpgradeProxy); a plain request cannot be served.
  private async podStream(ctx: ResourceContext, name: string): Promise<KubeResponse> {
    await this.reader.get({ ...ctx, info: { ...ctx.info, subresource: undefined } }, name);
    throw ApiError.badRequest('Upgrade request required');
  }

  private tableSink(ctx: ResourceContext, sink: WatchSink, query: URLSearchParams): WatchSink {
    let first = true;
    return {
      closed: sink.closed,
      send: (e) => {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') return sink.send(e);
        const t = toTable(ctx.type, [e.object], { now: this.clock.now(), includeObject: includeObjectOf(query) });
        // Only the first event needs the column definitions.
        const object = first ? t : { ...t, columnDefinitions: [] };
        first = false;
        sink.send({ type: e.type, object: object as unknown as KubeObject });
      },
    };
  }

  private writeOptions(req: KubeRequest): WriteOptions {
    const dryRun = req.query.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All'))
      throw ApiError.badRequest(`dryRun: Unsupported value: "${dryRun.join(',')}": supported values: "All"`);
    const force = req.query.get('force');
    return {
      dryRun: dryRun.includes('All'),
      fieldManager: req.query.get('fieldManager') || managerFromUserAgent(req.headers['user-agent']),
      fieldValidation: fieldValidationOf(req.query),
      force: force === 'true',
    };
  }
}

// The kind a create or update body must be: the resource's, or its subresource's (Binding, Scale, Eviction).
function requestKind(ctx: ResourceContext): string {
  return ctx.type.subresources.find((s) => s.name === ctx.info.subresource)?.kind || ctx.type.kind;
}

// Upstream's default field manager: the user agent up to the first '/'.
function managerFromUserAgent(ua: string | undefined): string {
  const name = (ua ?? '').split('/')[0].trim();
  return name === '' ? 'unknown' : name.slice(0, 128);
}

function includeObjectOf(query: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function written(out: WriteOutcome): KubeResponse {
  return {
    type: 'json',
    code: out.code,
    body: out.object,
    warnings: out.warnings,
    auditAnnotations: out.auditAnnotations,
  };
}
