import { addAuditAnnotations } from './audit-annotations';
import { All, Controller, Logger, Req, Res } from '@nestjs/common';
import { ApiError, errorDetail } from '@skiff/api-machinery';
import type { Request, Response } from 'express';
import { requestUser } from '../auth/request-user';
import { recordUnhandledError } from '../audit/request-audit';
import { DiscoveryService } from '../discovery/discovery.service';
import { MetricsService } from '../observability/metrics.service';
import { KubeApiService, KubeResponse } from './kube-api.service';
import { parseRequestInfo, RequestInfo, requestUrl } from './request-info';
import { WatchEvent } from './watch.service';

/** The Kubernetes REST surface under /api and /apis: discovery and resources. */
@Controller()
export class KubeApiController {
  private readonly log = new Logger('http');

  constructor(
    private readonly api: KubeApiService,
    private readonly discovery: DiscoveryService,
    private readonly metrics: MetricsService,
  ) {}

  @All(['api', 'api/*path', 'apis', 'apis/*path'])
  async serve(@Req() req: Request, @Res() res: Response): Promise<void> {
    const started = process.hrtime.bigint();
    const url = requestUrl(req.originalUrl);
    let info: RequestInfo | undefined;
    let code = 500;
    let longRunning = false;
    try {
      info = parseRequestInfo(req.method, url.pathname, url.searchParams);
      const out = info
        ? await this.api.handle(info, {
            method: req.method,
            path: url.pathname,
            query: url.searchParams,
            headers: headersOf(req),
            body: req,
            user: requestUser(req),
          })
        : this.discover(req, url.pathname);
      longRunning = out.type !== 'json';
      code = await this.write(req, res, out);
    } catch (err) {
      code = this.fail(res, err, req);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.record(
        {
          verb: (info?.verb ?? req.method).toUpperCase(),
          group: info?.group ?? '',
          version: info?.version ?? '',
          resource: info?.resource ?? '',
          subresource: info?.subresource ?? '',
          scope: !info ? '' : info.name ? 'resource' : info.namespace ? 'namespace' : 'cluster',
          code: String(code),
        },
        seconds,
        url.searchParams.getAll('dryRun').includes('All'),
        longRunning,
      );
    }
  }

  private discover(req: Request, path: string): KubeResponse {
    if (req.method !== 'GET')
      throw ApiError.methodNotAllowed(
        `the server does not allow this method on the requested resource (${req.method} ${path})`,
      );
    const parts = path.split('/').filter(Boolean);
    const aggregated = this.discovery.aggregatedVersion(req.headers.accept);
    if (parts.length === 1 && aggregated) {
      return {
        type: 'json',
        code: 200,
        contentType: `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`,
        body: this.discovery.aggregated(parts[0] === 'api', aggregated),
      };
    }
    let body: unknown;
    if (parts[0] === 'api' && parts.length === 1)
      body = this.discovery.apiVersions(`${req.socket.localAddress}:${req.socket.localPort}`);
    else if (parts[0] === 'api' && parts.length === 2) body = this.discovery.apiResourceList('', parts[1]);
    else if (parts[0] === 'apis' && parts.length === 1) body = this.discovery.apiGroupList();
    else if (parts[0] === 'apis' && parts.length === 2) body = this.discovery.apiGroup(parts[1]);
    else if (parts[0] === 'apis' && parts.length === 3) body = this.discovery.apiResourceList(parts[1], parts[2]);
    if (body === undefined) throw ApiError.pathNotFound(path);
    return { type: 'json', code: 200, body };
  }

  private async write(req: Request, res: Response, out: KubeResponse): Promise<number> {
    if (out.type === 'stream') {
      // Flushed as it comes: `kubectl logs -f` shows each line when the container writes it.
      res.writeHead(200, {
        'Content-Type': out.contentType,
        'Cache-Control': 'no-cache, private',
        'Transfer-Encoding': 'chunked',
      });
      res.flushHeaders();
      res.once('close', () => out.body.destroy());
      out.body.pipe(res);
      await new Promise<void>((resolve) => {
        out.body.once('end', resolve);
        out.body.once('close', resolve);
        out.body.once('error', resolve);
      });
      return 200;
    }
    for (const w of out.warnings ?? []) res.append('Warning', `299 - ${JSON.stringify(w)}`);
    if (out.type === 'json') {
      addAuditAnnotations(req, out.auditAnnotations);
      res
        .status(out.code)
        .type(out.contentType ?? 'application/json')
        .send(JSON.stringify(out.body));
      return out.code;
    }
    res.writeHead(200, {
      'Content-Type': out.contentType,
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const send = (e: WatchEvent, line?: string): void => void res.write(line ?? `${JSON.stringify(e)}\n`);
    try {
      await out.run({ send, closed });
    } catch (err) {
      // Headers are out: errors travel as an ERROR event carrying the Status, as upstream does.
      const status = ApiError.from(err);
      send({ type: 'ERROR', object: status.toStatus() as unknown as WatchEvent['object'] });
    }
    res.end();
    return 200;
  }

  private fail(res: Response, err: unknown, req: Request): number {
    const apiErr = ApiError.from(err);
    if (!(err instanceof ApiError)) {
      this.log.error(`${req.method} ${req.originalUrl}: ${errorDetail(err)}`);
      recordUnhandledError(req, err);
    }
    if (res.headersSent) {
      res.end();
      return apiErr.code;
    }
    // As upstream's ErrorNegotiated: a retry period in the Status is also a Retry-After header (client-go waits and retries).
    if (apiErr.details?.retryAfterSeconds) res.setHeader('Retry-After', String(apiErr.details.retryAfterSeconds));
    res.status(apiErr.code).type('application/json').send(JSON.stringify(apiErr.toStatus()));
    return apiErr.code;
  }
}

function headersOf(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
