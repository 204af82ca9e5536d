import { Provider } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import IORedis from 'ioredis';
import { GATEWAY_CONFIG } from './config.provider';

export const REDIS = Symbol('REDIS');

export const redisProvider: Provider = {
  provide: REDIS,
  inject: [GATEWAY_CONFIG],
  // Lazy and forgiving: only pod logs/exec need it, and a Redis outage must not stop the API.
  useFactory: (config: ApiGatewayConfig) =>
    new IORedis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 }),
};
