import { Provider } from '@nestjs/common';
import { loadSandboxAgentConfig, SandboxAgentConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import { connect, NatsConnection } from 'nats';
import IORedis from 'ioredis';

export const AGENT_CONFIG = Symbol('AGENT_CONFIG');
export const KUBE_CLIENT = Symbol('KUBE_CLIENT');
export const REDIS = Symbol('REDIS');
export const NATS = Symbol('NATS');

export function agentProviders(config: SandboxAgentConfig = loadSandboxAgentConfig()): Provider[] {
  return [
    { provide: AGENT_CONFIG, useValue: config },
    { provide: KUBE_CLIENT, useFactory: () => KubeClient.fromEnv() },
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
  ];
}
