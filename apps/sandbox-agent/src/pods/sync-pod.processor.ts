import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SandboxAgentConfig } from '@skiff/config';
import { sandboxQueueName, SyncPodCommand } from '@skiff/messaging';
import { Job, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import { AGENT_CONFIG, REDIS } from '../platform/agent.providers';
import { PodManager } from './pod-manager.service';

/** Takes this host's sandbox commands off its BullMQ queue; each is one PodManager.sync call. */
@Injectable()
export class SyncPodProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(SyncPodProcessor.name);
  private worker?: Worker<SyncPodCommand>;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: SandboxAgentConfig,
    @Inject(REDIS) private readonly redis: IORedis,
    private readonly pods: PodManager,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<SyncPodCommand>(
      sandboxQueueName(this.config.natsPrefix, this.config.hostId),
      (job: Job<SyncPodCommand>) => this.pods.sync(job.data),
      {
        connection: this.redis.duplicate(),
        concurrency: this.config.concurrency,
      },
    );
    this.worker.on('failed', (job, err) =>
      this.log.warn(`sync ${job?.data.namespace}/${job?.data.name} failed: ${err.message}`),
    );
    this.worker.on('error', (err) => this.log.warn(`queue: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
