import { Logger, Provider } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import { connect, NatsConnection } from 'nats';
import { GATEWAY_CONFIG } from './config.provider';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export const natsProvider: Provider = {
  provide: NATS_CONNECTION,
  inject: [GATEWAY_CONFIG],
  useFactory: async (config: ApiGatewayConfig): Promise<NatsConnection> => {
    const log = new Logger('nats');
    // Reconnect forever: a NATS restart must not take the gateway down.
    const nc = await connect({
      servers: config.natsUrl,
      name: 'skiff-api-gateway',
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
