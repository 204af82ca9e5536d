import { Inject, Injectable } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import { RegisteredHost, SandboxHostRegistry } from '@skiff/messaging';
import type IORedis from 'ioredis';
import { REDIS, SCHEDULER_CONFIG } from '../platform/scheduler.providers';

export type { RegisteredHost };

/** The sandbox hosts the agents register (the shared registry contract), as the scheduler reads them. */
@Injectable()
export class HostRegistryRepository {
  private readonly registry: SandboxHostRegistry;

  constructor(@Inject(REDIS) redis: IORedis, @Inject(SCHEDULER_CONFIG) config: SchedulerConfig) {
    this.registry = new SandboxHostRegistry(redis, config.natsPrefix);
  }

  list(now = Date.now()): Promise<RegisteredHost[]> {
    return this.registry.list(now);
  }
}
