import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { CADVISOR_METRICS_PATH, STATS_SUMMARY_PATH } from '@skiff/kube-types';
import { PodMetricsSampler } from '@skiff/host-tools';
import type { Request, Response } from 'express';
import { AgentAuthService } from '../streaming/agent-auth.service';
import { sendApiError } from '../streaming/api-error.response';
import { cadvisorMetricsText, PROMETHEUS_TEXT_CONTENT_TYPE } from './cadvisor-metrics.writer';
import { METRICS_CONFIG, MetricsConfig } from './metrics.config';
import { statsSummaryOf } from './stats-summary.builder';

/** kubelet's resource metrics endpoints on the agent, behind the same bearer check as containerLogs. */
@Controller()
export class MetricsController {
  constructor(
    private readonly sampler: PodMetricsSampler,
    private readonly auth: AgentAuthService,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
  ) {}

  @Get(STATS_SUMMARY_PATH)
  summary(@Req() req: Request, @Res() res: Response): void {
    try {
      this.auth.check(req);
      res.type('application/json').send(JSON.stringify(statsSummaryOf(this.config.nodeName, this.sampler.latest())));
    } catch (err) {
      sendApiError(res, err);
    }
  }

  @Get(CADVISOR_METRICS_PATH)
  cadvisor(@Req() req: Request, @Res() res: Response): void {
    try {
      this.auth.check(req);
      // writeHead, not send: express would rewrite the parameters of the content type.
      res
        .writeHead(200, { 'Content-Type': PROMETHEUS_TEXT_CONTENT_TYPE })
        .end(cadvisorMetricsText(this.sampler.latest()));
    } catch (err) {
      sendApiError(res, err);
    }
  }
}
