import { Logger, Provider } from '@nestjs/common';
import { LogSvcConfig } from '@skiff/config';
import { connectNats } from '@skiff/messaging';
import { NatsConnection } from 'nats';
import { LOG_SVC_CONFIG } from '../platform/config.provider';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export const natsProvider: Provider = {
  provide: NATS_CONNECTION,
  inject: [LOG_SVC_CONFIG],
  useFactory: (config: LogSvcConfig): Promise<NatsConnection> => {
    const log = new Logger('nats');
    return connectNats(config.natsUrl, 'skiff-log-svc', (m) => log.warn(m));
  },
};
