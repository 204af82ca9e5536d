import {
  ConsumerDeserializer,
  ConsumerSerializer,
  IncomingEvent,
  IncomingRequest,
  NatsOptions,
  OutgoingResponse,
  Transport,
} from '@nestjs/microservices';
import { NetworkSvcConfig } from '@skiff/config';
import { IpamErrorReply } from '@skiff/messaging';
import { errorMessage } from '@skiff/api-machinery';

/** The message body could not be decoded; handlers answer it with an invalid-request error. */
export class UndecodablePayload {
  constructor(readonly reason: string) {}
}

/**
 * Reads a plain JSON request from any `nats` client. Nest's default expects its own
 * {pattern,data,id} envelope and treats anything without an id as a fire-and-forget event
 * (no reply), and throws on bytes that are not JSON; the contract is the plain body.
 */
export class PlainJsonRequestDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: Record<string, unknown>): IncomingRequest | IncomingEvent {
    const pattern = options?.channel;
    const replyTo = options?.replyTo;
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(value as Uint8Array).toString('utf8'));
    } catch (err) {
      data = new UndecodablePayload(`payload is not JSON: ${errorMessage(err)}`);
    }
    // The reply subject is unique per request, so it serves as Nest's request id.
    return typeof replyTo === 'string' && replyTo !== '' ? { pattern, data, id: replyTo } : { pattern, data };
  }
}

/** Writes the handler's result as the plain JSON reply; a framework error becomes an IpamErrorReply. */
export class PlainJsonReplySerializer implements ConsumerSerializer {
  serialize(packet: OutgoingResponse): { data: Uint8Array } {
    const body: unknown =
      packet.err !== undefined
        ? ({
            error: {
              code: 'internal',
              message: typeof packet.err === 'string' ? packet.err : replyErrorMessage(packet.err),
            },
          } satisfies IpamErrorReply)
        : (packet.response ?? null);
    return { data: Buffer.from(JSON.stringify(body)) };
  }
}

function replyErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string')
    return (err as { message: string }).message;
  return 'internal error';
}

export function natsTransportOptions(config: NetworkSvcConfig): NatsOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: config.natsUrl,
      name: 'skiff-network-svc',
      // Reconnect forever, and wait for a NATS that is down at boot: a NATS restart must
      // not take IPAM down; subscriptions are restored by the client on reconnect.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
      deserializer: new PlainJsonRequestDeserializer(),
      serializer: new PlainJsonReplySerializer(),
    },
  };
}
