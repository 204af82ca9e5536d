import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { LogSvcConfig } from '@skiff/config';
import { Controller, ControllerContext } from '@skiff/controller-runtime';
import { LOG_SVC_CONFIG } from '../platform/config.provider';
import { partitionName } from '../store/log-partitions';
import { LogRetention } from '../store/log-retention';

export const RETENTION_KEY = 'retention';

/** Runs retention (and makes partitions ahead of need) on the leader, every SKIFF_LOG_RETENTION_INTERVAL_SECONDS. */
@Injectable()
export class LogRetentionReconciler implements Controller {
  readonly name = 'log-retention';
  readonly workers = 1;
  private readonly log = new Logger('log-retention');

  constructor(
    @Inject(LOG_SVC_CONFIG) private readonly config: LogSvcConfig,
    private readonly retention: LogRetention,
    private readonly clock: Clock,
  ) {}

  begin(ctx: ControllerContext): void {
    ctx.enqueue(RETENTION_KEY);
  }

  async reconcile(): Promise<{ requeueAfterMs: number }> {
    const done = await this.retention.run(this.clock.nowMs());
    if (done.droppedDays.length > 0 || done.deletedRecords > 0)
      this.log.log(
        `dropped ${done.droppedDays.map(partitionName).join(', ') || 'no partition'}; deleted ${done.deletedRecords} records past shorter TTLs`,
      );
    return { requeueAfterMs: this.config.retentionIntervalMs };
  }
}
