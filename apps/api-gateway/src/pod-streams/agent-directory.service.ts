import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ApiError, isJsonObject, KubeObject, errorMessage } from '@skiff/api-machinery';
import { ApiGatewayConfig, componentClientCert } from '@skiff/config';
import { SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { RegisteredHost, SandboxHostRecord, SandboxHostRegistry } from '@skiff/messaging';
import type IORedis from 'ioredis';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { REDIS } from '../platform/redis.provider';

/** Finds the sandbox agent that runs a pod, from the host registry the agents keep in Redis. */
@Injectable()
export class AgentDirectoryService implements OnApplicationShutdown {
  /**
   * How the API server reaches agents and log-svc over mutual TLS: the cluster CA their serving certificates chain
   * to, and the API server's own client certificate (`system:skiff:api-gateway`), the only caller they let in.
   */
  readonly tls: { ca: Buffer; cert: Buffer; key: Buffer };
  private readonly hosts: SandboxHostRegistry;

  constructor(
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
    @Inject(REDIS) private readonly redis: IORedis,
  ) {
    this.hosts = new SandboxHostRegistry(redis, config.natsPrefix);
    const client = componentClientCert(path.dirname(config.caFile), 'api-gateway');
    this.tls = {
      ca: readFileSync(config.caFile),
      cert: readFileSync(client.certFile),
      key: readFileSync(client.keyFile),
    };
  }

  async endpointFor(pod: KubeObject): Promise<string> {
    const name = pod.metadata.name;
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    const hostId = pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION];
    if (!spec.nodeName || !hostId) throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
    let host: SandboxHostRecord | undefined;
    try {
      host = await this.hosts.get(hostId);
    } catch (err) {
      throw ApiError.unavailable(`cannot look up sandbox host ${hostId}: ${errorMessage(err)}`);
    }
    if (!host) throw ApiError.unavailable(`sandbox host ${hostId} of pod ${name} is not registered`);
    return host.endpoint;
  }

  /** The hosts whose agents still renew their record. */
  async liveHosts(): Promise<RegisteredHost[]> {
    return (await this.hosts.list()).filter((h) => !h.stale);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

/**
 * The container a pods/log, exec or attach request means: the named one (init and ephemeral containers too),
 * else the only one; with several, logs ask for a name while exec/attach take the first (upstream).
 */
export function containerOf(pod: KubeObject, requested: string | null, defaultToFirst: boolean): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const names = (field: string): string[] =>
    Array.isArray(spec[field]) ? (spec[field] as { name?: string }[]).map((c) => c.name ?? '') : [];
  const containers = names('containers');
  const name = pod.metadata.name;
  if (requested) {
    if (![...names('initContainers'), ...containers, ...names('ephemeralContainers')].includes(requested))
      throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (containers.length === 1 || defaultToFirst) return containers[0];
  throw ApiError.badRequest(
    `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
  );
}
