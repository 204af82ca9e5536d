import { Provider } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { issueNodeClientCert, loadSandboxAgentConfig, SandboxAgentConfig } from '@skiff/config';
import { EventRecorder, PODS } from '@skiff/controller-runtime';
import { ProcessRunner } from '@skiff/host-tools';
import { KubeClient, ResourceClient } from '@skiff/kube-client';
import { Pod } from '@skiff/kube-types';
import { connect, NatsConnection } from 'nats';
import IORedis from 'ioredis';
import * as path from 'node:path';
import { ApiConfigSource } from '../pods/api-config.source';
import { ServiceCaches, serviceCachesOf } from '../services/service-caches';
import { SERVICE_CACHES } from '../services/service-proxy.config';
import { ConfigObjectSource } from '../pods/env-resolver';
import { IpamClient } from '../pods/ipam.client';
import { PodManagerConfig, podManagerConfigOf } from '../pods/pod-manager.config';
import { PodStateStore } from '../pods/pod-state.store';

export const AGENT_CONFIG = Symbol('AGENT_CONFIG');
export const KUBE_CLIENT = Symbol('KUBE_CLIENT');
export const REDIS = Symbol('REDIS');
export const NATS = Symbol('NATS');
/** The pod code's settings (`PodManagerConfig`), read from the agent's config at boot. */
export const POD_MANAGER_CONFIG = Symbol('POD_MANAGER_CONFIG');
/** The pods resource of the Kubernetes API (`PodApi`). */
export const POD_API = Symbol('POD_API');
/** ConfigMaps, Secrets and Services for env, volumes and pull secrets (`ConfigObjectSource`). */
export const CONFIG_OBJECT_SOURCE = Symbol('CONFIG_OBJECT_SOURCE');

/** What the agent does with pods in the API: read them, write their status, and finish their deletion. */
export type PodApi = Pick<ResourceClient<Pod>, 'get' | 'list' | 'patchStatus' | 'delete'>;

/** Connections, config and the process-wide seams (host binaries, time). */
export function agentProviders(config: SandboxAgentConfig = loadSandboxAgentConfig()): Provider[] {
  return [
    { provide: AGENT_CONFIG, useValue: config },
    { provide: POD_MANAGER_CONFIG, useFactory: (): PodManagerConfig => podManagerConfigOf(config) },
    {
      provide: KUBE_CLIENT,
      useFactory: () =>
        KubeClient.fromEnv(issueNodeClientCert(config.caFile, path.join(config.stateDir, 'pki'), config.hostId)),
    },
    { provide: REDIS, useFactory: () => new IORedis(config.redisUrl, { maxRetriesPerRequest: null }) },
    {
      provide: NATS,
      useFactory: (): Promise<NatsConnection> =>
        connect({
          servers: config.natsUrl,
          name: `skiff-agent-${config.hostId}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
        }),
    },
    ProcessRunner,
    Clock,
  ];
}

/**
 * What the pod code reaches outside the agent through: pods, Events, ConfigMaps, Secrets and Services in the API,
 * network-svc's IPAM, and the state dir. Needs KUBE_CLIENT, NATS, POD_MANAGER_CONFIG and Clock.
 */
export function podBoundaryProviders(): Provider[] {
  return [
    { provide: POD_API, useFactory: (client: KubeClient): PodApi => client.resource<Pod>(PODS), inject: [KUBE_CLIENT] },
    {
      provide: EventRecorder,
      useFactory: (client: KubeClient, c: PodManagerConfig, clock: Clock) =>
        new EventRecorder(client, 'skiff-sandbox-agent', { host: c.hostId, clock: () => clock.now() }),
      inject: [KUBE_CLIENT, POD_MANAGER_CONFIG, Clock],
    },
    {
      provide: IpamClient,
      useFactory: (nats: NatsConnection, c: PodManagerConfig) => new IpamClient(nats, c.natsPrefix),
      inject: [NATS, POD_MANAGER_CONFIG],
    },
    {
      provide: PodStateStore,
      useFactory: (c: PodManagerConfig) => new PodStateStore(c.stateDir),
      inject: [POD_MANAGER_CONFIG],
    },
    // The Services and EndpointSlices the data plane programs; containers' Service variables are read from them too.
    { provide: SERVICE_CACHES, useFactory: (client: KubeClient) => serviceCachesOf(client), inject: [KUBE_CLIENT] },
    {
      provide: CONFIG_OBJECT_SOURCE,
      useFactory: (client: KubeClient, caches: ServiceCaches): ConfigObjectSource =>
        new ApiConfigSource(client, caches.services),
      inject: [KUBE_CLIENT, SERVICE_CACHES],
    },
  ];
}
