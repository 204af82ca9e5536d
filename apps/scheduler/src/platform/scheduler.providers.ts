import { Provider } from '@nestjs/common';
import { loadSchedulerConfig, SchedulerConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import IORedis from 'ioredis';

export const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');
export const KUBE_CLIENT = Symbol('KUBE_CLIENT');
export const REDIS = Symbol('REDIS');
/** The client Helm actions run with: the helm-controller identity (docs/charts.md). */
export const HELM_CLIENT = Symbol('HELM_CLIENT');

export function schedulerProviders(config: SchedulerConfig = loadSchedulerConfig()): Provider[] {
  return [
    { provide: SCHEDULER_CONFIG, useValue: config },
    { provide: KUBE_CLIENT, useFactory: () => KubeClient.fromEnv('scheduler') },
    { provide: HELM_CLIENT, useFactory: () => KubeClient.fromEnv('helm-controller') },
    {
      provide: REDIS,
      // BullMQ needs maxRetriesPerRequest null; reconnect forever so a Redis restart is survived.
      useFactory: () => new IORedis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false }),
    },
  ];
}
