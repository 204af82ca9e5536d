import { connect, NatsConnection } from 'nats';

/**
 * A service's NATS connection: it reconnects forever (a NATS restart must not take the service down) and reports
 * each disconnect, reconnect and error through `warn`.
 */
export async function connectNats(url: string, name: string, warn: (message: string) => void): Promise<NatsConnection> {
  const nc = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error')
        warn(`nats ${s.type}: ${String(s.data)}`);
    }
  })();
  return nc;
}
