import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { sandboxQueueName, SYNC_POD_JOB, syncPodJobId, SyncPodCommand } from '@skiff/messaging';
import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { REDIS, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { SchedulerConfig } from '@skiff/config';

/** Producer side of the per-host BullMQ queues: "converge this pod's sandbox". */
@Injectable()
export class SandboxQueueService implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();

  constructor(
    @Inject(REDIS) private readonly redis: IORedis,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  async syncPod(hostId: string, cmd: SyncPodCommand, resourceVersion: string): Promise<void> {
    let q = this.queues.get(hostId);
    if (!q)
      this.queues.set(
        hostId,
        (q = new Queue(sandboxQueueName(this.config.natsPrefix, hostId), { connection: this.redis })),
      );
    // One job per pod version: a version already queued is not queued twice, and a change made
    // while the agent works on an older version still gets its own job.
    await q.add(SYNC_POD_JOB, cmd, {
      jobId: syncPodJobId(cmd.podUid, resourceVersion),
      removeOnComplete: true,
      removeOnFail: 100,
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
