import { Logger, Provider } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import { connectNats } from '@skiff/messaging';
import { NatsConnection } from 'nats';
import { GATEWAY_CONFIG } from './config.provider';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export const natsProvider: Provider = {
  provide: NATS_CONNECTION,
  inject: [GATEWAY_CONFIG],
  useFactory: (config: ApiGatewayConfig): Promise<NatsConnection> => {
    const log = new Logger('nats');
    return connectNats(config.natsUrl, 'skiff-api-gateway', (m) => log.warn(m));
  },
};
