import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import type { Request, Response } from 'express';
import { AgentAuthService } from './agent-auth.service';
import { sendApiError } from './api-error.response';
import { CONTAINER_LOG_LOCATOR, ContainerLogLocator } from './container-log-locator';
import { LogOptions, readCriLog } from './cri-log.reader';

/** The agent's internal endpoint the API server proxies pods/log to (kubelet's containerLogs). */
@Controller()
export class StreamingController {
  constructor(
    @Inject(CONTAINER_LOG_LOCATOR) private readonly logs: ContainerLogLocator,
    private readonly auth: AgentAuthService,
  ) {}

  @Get('containerLogs/:namespace/:pod/:container')
  async containerLogs(
    @Param('namespace') namespace: string,
    @Param('pod') pod: string,
    @Param('container') container: string,
    @Query() query: Record<string, string | undefined>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    try {
      this.auth.check(req);
      const opts = logOptionsOf(query);
      const file = await this.logs.locateLog(namespace, pod, container, query.previous === 'true');
      const stream = readCriLog(file.path, opts, opts.follow ? file.stillWriting : () => false);
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      res.once('close', () => stream.destroy());
      stream.pipe(res);
    } catch (err) {
      sendApiError(res, err);
    }
  }
}

function logOptionsOf(q: Record<string, string | undefined>): LogOptions {
  const int = (name: string): number | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw ApiError.badRequest(`${name} must be a non-negative integer, got "${v}"`);
    return Number(v);
  };
  const sinceSeconds = int('sinceSeconds');
  const since = q.sinceTime
    ? new Date(q.sinceTime)
    : sinceSeconds !== undefined
      ? new Date(Date.now() - sinceSeconds * 1000)
      : undefined;
  if (since && Number.isNaN(since.getTime()))
    throw ApiError.badRequest(`sinceTime must be RFC 3339, got "${q.sinceTime}"`);
  return {
    follow: q.follow === 'true',
    timestamps: q.timestamps === 'true',
    tailLines: int('tailLines'),
    limitBytes: int('limitBytes'),
    since,
  };
}
