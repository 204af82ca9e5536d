import { Controller, Get, Logger, Param, Query, Req, Res } from '@nestjs/common';
import { ApiError, Clock, errorDetail } from '@skiff/api-machinery';
import { requireApiServerPeer } from '@skiff/config';
import type { Request, Response } from 'express';
import { LogQueryError } from './log-query.error';
import { LogQueryService } from './log-query.service';
import { LogTailService } from './log-tail.service';
import { PodLogService } from './pod-log.service';
import { parsePodLogParams, parseQueryParams } from './query-params';

type QueryString = Record<string, unknown>;

/**
 * The endpoint the API server proxies to, for the API server's client certificate only (mutual TLS):
 * `GET /namespaces/{ns}/logstores/{name}/query` (JSON, or newline-delimited JSON with follow=true) and
 * `GET /namespaces/{ns}/pods/{pod}/log` (plain text, as kubelet's containerLogs, for pods that are gone) and
 * `GET /namespaces/{ns}/pods/{pod}` (what the store knows of such a pod: its uid and containers, JSON).
 */
@Controller()
export class LogQueryController {
  private readonly log = new Logger('log-query');
  constructor(
    private readonly queries: LogQueryService,
    private readonly tails: LogTailService,
    private readonly podLogs: PodLogService,
    private readonly clock: Clock,
  ) {}

  @Get('namespaces/:namespace/logstores/:name/query')
  async query(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Query() q: QueryString,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer(req, res, async () => {
      const params = parseQueryParams(q, this.clock.nowMs());
      if (!params.follow) {
        res.status(200).json(await this.queries.query(namespace, name, params));
        return;
      }
      const store = await this.queries.store(namespace, name);
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      await this.tails.follow(store, params.node, gone.signal, {
        // The answer starts once the tail is listening: a client that sees it can count on what it writes next.
        started: () => {
          res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-cache' });
          res.flushHeaders();
        },
        deliver: (records) => res.write(records.map((r) => `${JSON.stringify(r)}\n`).join('')),
      });
      res.end();
    });
  }

  @Get('namespaces/:namespace/pods/:pod')
  async gonePod(
    @Param('namespace') namespace: string,
    @Param('pod') pod: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer(req, res, async () => {
      res.status(200).json(await this.podLogs.gonePod(namespace, pod));
    });
  }

  @Get('namespaces/:namespace/pods/:pod/log')
  async podLog(
    @Param('namespace') namespace: string,
    @Param('pod') pod: string,
    @Query() q: QueryString,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer(req, res, async () => {
      const lines = await this.podLogs.open(namespace, pod, parsePodLogParams(q, this.clock.nowMs()));
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      for await (const chunk of lines) {
        if (gone.signal.aborted) break;
        if (!res.write(chunk))
          await new Promise((r) => {
            res.once('drain', r);
            res.once('close', r);
          });
      }
      res.end();
    });
  }

  /** Checks the caller, runs the request, and answers failures with a Kubernetes Status. */
  private async answer(req: Request, res: Response, handle: () => Promise<void>): Promise<void> {
    try {
      requireApiServerPeer(req.socket);
      await handle();
    } catch (err) {
      const status = statusOf(err);
      if (status.code >= 500) this.log.error(`${req.method} ${req.path}: ${errorDetail(err)}`);
      if (res.headersSent) res.end();
      else res.status(status.code).type('application/json').send(JSON.stringify(status.toStatus()));
    }
  }
}

function statusOf(err: unknown): ApiError {
  if (!(err instanceof LogQueryError)) return ApiError.from(err);
  switch (err.code) {
    case 'invalid':
      return ApiError.badRequest(err.message);
    case 'not-found':
      return ApiError.notFound(err.subject!);
    case 'timeout':
      return new ApiError(504, 'Timeout', err.message);
    case 'unavailable':
      return ApiError.unavailable(err.message);
  }
}
