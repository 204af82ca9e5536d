import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ApiError, KubeObject } from '@skiff/api-machinery';
import { ApiGatewayConfig } from '@skiff/config';
import { sandboxHostsKey, SandboxHostRecord } from '@skiff/messaging';
import type IORedis from 'ioredis';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { REDIS } from '../platform/redis.provider';

export const SANDBOX_HOST_ANNOTATION = 'skiff.io/sandbox-host';

/** Finds the sandbox agent that runs a pod, from the host registry the agents keep in Redis. */
@Injectable()
export class AgentDirectoryService implements OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
    @Inject(REDIS) private readonly redis: IORedis,
  ) {}

  async endpointFor(pod: KubeObject): Promise<string> {
    const name = pod.metadata.name;
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    const hostId = pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION];
    if (!spec.nodeName || !hostId) throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
    let raw: string | null;
    try {
      raw = await this.redis.hget(sandboxHostsKey(this.config.natsPrefix), hostId);
    } catch (err) {
      throw ApiError.unavailable(`cannot look up sandbox host ${hostId}: ${(err as Error).message}`);
    }
    if (!raw) throw ApiError.unavailable(`sandbox host ${hostId} of pod ${name} is not registered`);
    return (JSON.parse(raw) as SandboxHostRecord).endpoint;
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
