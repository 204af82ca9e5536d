import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SandboxAgentConfig } from '@skiff/config';
import { HOST_HEARTBEAT_MS, SandboxHostRecord, SandboxHostRegistry } from '@skiff/messaging';
import type IORedis from 'ioredis';
import { AGENT_CONFIG, REDIS } from '../platform/agent.providers';
import { errorMessage } from '@skiff/api-machinery';

export const RUNTIME_HANDLERS = ['runc', 'runsc'];

/** Registers this sandbox host in the registry the scheduler reads, and keeps it fresh. */
@Injectable()
export class HostRegistrationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(HostRegistrationService.name);
  private timer?: NodeJS.Timeout;
  private readonly hosts: SandboxHostRegistry;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: SandboxAgentConfig,
    @Inject(REDIS) redis: IORedis,
  ) {
    this.hosts = new SandboxHostRegistry(redis, config.natsPrefix);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), HOST_HEARTBEAT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
  }

  record(): SandboxHostRecord {
    return {
      hostId: this.config.hostId,
      zone: this.config.zone,
      endpoint: `https://${this.config.address}:${this.config.port}`,
      hostIP: gatewayOf(this.config.vswitchCidr),
      capacity: this.config.capacity,
      runtimeHandlers: RUNTIME_HANDLERS,
      heartbeatAt: new Date().toISOString(),
    };
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.hosts.register(this.record());
    } catch (err) {
      this.log.warn(`heartbeat failed: ${errorMessage(err)}`);
    }
  }
}

/** The first usable address of the VSwitch: the bridge's own address. */
export function gatewayOf(cidr: string): string {
  const [base] = cidr.split('/');
  const o = base.split('.').map(Number);
  o[3] += 1;
  return o.join('.');
}
