import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, errorMessage } from '@skiff/api-machinery';
import { ApiGatewayConfig } from '@skiff/config';
import {
  ClusterIpAllocationReply,
  ClusterIpAllocationRequest,
  ClusterIpErrorReply,
  ClusterIpReleaseReply,
  clusterIpSubjects,
} from '@skiff/messaging';
import { JSONCodec, NatsConnection } from 'nats';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { NATS_CONNECTION } from '../platform/nats.provider';

const codec = JSONCodec();
const TIMEOUT_MS = 5_000;
const RETRY_BACKOFF_MS = [200, 400, 800, 1600];

function isError(reply: unknown): reply is ClusterIpErrorReply {
  return typeof reply === 'object' && reply !== null && 'error' in reply;
}

/** Where Services get their ClusterIPs; abstract so specs can put an in-memory one in. */
export abstract class ClusterIps {
  /** The Service's address; a refused address is a 422 on `spec.clusterIPs` in upstream's words. */
  abstract allocate(req: ClusterIpAllocationRequest): Promise<string>;
  /** Best effort: an address not given back is freed by network-svc's repair loop. */
  abstract release(serviceUid: string): Promise<void>;
}

/** Asks network-svc's ClusterIP allocator (NATS request/reply) for a Service's address, and gives it back. */
@Injectable()
export class NatsClusterIps extends ClusterIps {
  private readonly log = new Logger(NatsClusterIps.name);
  private readonly subjects: { allocate: string; release: string };

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
  ) {
    super();
    this.subjects = clusterIpSubjects(config.natsPrefix);
  }

  async allocate(req: ClusterIpAllocationRequest): Promise<string> {
    let reply: ClusterIpAllocationReply;
    try {
      reply = await this.request<ClusterIpAllocationReply>(this.subjects.allocate, req);
    } catch (err) {
      throw ApiError.internal(`failed to allocate a serviceIP: network-svc did not answer: ${errorMessage(err)}`);
    }
    if (!isError(reply)) return reply.ip;
    const { code, message } = reply.error;
    if ((code === 'already-allocated' || code === 'out-of-range') && req.ip) {
      throw ApiError.invalid('', 'Service', req.name, [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.clusterIPs',
          message: `Invalid value: []string{"${req.ip}"}: failed to allocate IP ${req.ip}: ${message}`,
        },
      ]);
    }
    throw ApiError.internal(code === 'exhausted' ? message : `failed to allocate a serviceIP: ${message}`);
  }

  async release(serviceUid: string): Promise<void> {
    try {
      const reply = await this.request<ClusterIpReleaseReply>(this.subjects.release, { serviceUid });
      if (isError(reply)) this.log.warn(`releasing the ClusterIP of ${serviceUid}: ${reply.error.message}`);
    } catch (err) {
      this.log.warn(`releasing the ClusterIP of ${serviceUid}: ${errorMessage(err)}`);
    }
  }

  // No responders or no answer: network-svc may be starting or restarting; asked again with backoff (≈ 3 s in all).
  private async request<T>(subject: string, body: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const msg = await this.nc.request(subject, codec.encode(body), { timeout: TIMEOUT_MS });
        return codec.decode(msg.data) as T;
      } catch (err) {
        if (attempt >= RETRY_BACKOFF_MS.length) throw err;
        await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS[attempt]));
      }
    }
  }
}
