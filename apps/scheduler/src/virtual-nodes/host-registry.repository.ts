import { Inject, Injectable, Logger } from '@nestjs/common';
import { HOST_STALE_AFTER_MS, sandboxHostsKey, SandboxHostRecord } from '@skiff/messaging';
import { SchedulerConfig } from '@skiff/config';
import type IORedis from 'ioredis';
import { REDIS, SCHEDULER_CONFIG } from '../platform/scheduler.providers';

export interface RegisteredHost extends SandboxHostRecord {
  /** No heartbeat for HOST_STALE_AFTER_MS. */
  stale: boolean;
  staleForMs: number;
}

/** Reads the sandbox hosts the agents register in Redis. */
@Injectable()
export class HostRegistryRepository {
  private readonly log = new Logger(HostRegistryRepository.name);

  constructor(
    @Inject(REDIS) private readonly redis: IORedis,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  async list(now = Date.now()): Promise<RegisteredHost[]> {
    const raw = await this.redis.hgetall(sandboxHostsKey(this.config.natsPrefix));
    const hosts: RegisteredHost[] = [];
    for (const [hostId, json] of Object.entries(raw)) {
      try {
        const rec = JSON.parse(json) as SandboxHostRecord;
        const age = now - Date.parse(rec.heartbeatAt);
        hosts.push({ ...rec, stale: !(age < HOST_STALE_AFTER_MS), staleForMs: Math.max(0, age - HOST_STALE_AFTER_MS) });
      } catch {
        this.log.warn(`ignoring malformed host record ${hostId}`);
      }
    }
    return hosts.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}
