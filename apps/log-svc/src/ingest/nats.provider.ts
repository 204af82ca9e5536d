import { Logger, Provider } from '@nestjs/common';
import { LogSvcConfig } from '@skiff/config';
import { connect, NatsConnection } from 'nats';
import { LOG_SVC_CONFIG } from '../platform/config.provider';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export const natsProvider: Provider = {
  provide: NATS_CONNECTION,
  inject: [LOG_SVC_CONFIG],
  useFactory: async (config: LogSvcConfig): Promise<NatsConnection> => {
    const log = new Logger('nats');
    // Reconnect forever: a NATS restart must not take log-svc down.
    const nc = await connect({
      servers: config.natsUrl,
      name: 'skiff-log-svc',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error')
          log.warn(`nats ${s.type}: ${String(s.data)}`);
      }
    })();
    return nc;
  },
};
