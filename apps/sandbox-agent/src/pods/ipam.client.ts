import {
  IpAllocation,
  IpAllocationReply,
  IpAllocationRequest,
  ipamSubjects,
  IpReleaseReply,
  isIpamError,
} from '@skiff/messaging';
import { JSONCodec, NatsConnection } from 'nats';

/** An IPAM failure worth telling the user about (`exhausted`, `invalid-request`) or one that outlived the retries. */
export class IpamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IpamError';
  }
}

const codec = JSONCodec();
const RETRIES = 5;

/** network-svc's ENI/IPAM over NATS request/reply; transport errors and `unavailable`/`internal` are retried. */
export class IpamClient {
  private readonly subjects: { allocate: string; release: string };

  constructor(
    private readonly nats: NatsConnection,
    natsPrefix: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.subjects = ipamSubjects(natsPrefix);
  }

  async allocate(req: IpAllocationRequest): Promise<IpAllocation> {
    const reply = await this.request<IpAllocationReply>(this.subjects.allocate, req);
    if (isIpamError(reply)) throw new IpamError(reply.error.code, reply.error.message);
    return reply;
  }

  async release(podUid: string): Promise<boolean> {
    const reply = await this.request<IpReleaseReply>(this.subjects.release, { podUid });
    if (isIpamError(reply)) throw new IpamError(reply.error.code, reply.error.message);
    return reply.released;
  }

  private async request<T>(subject: string, body: unknown): Promise<T> {
    let last: unknown;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
      try {
        const msg = await this.nats.request(subject, codec.encode(body), { timeout: this.timeoutMs });
        const reply = codec.decode(msg.data) as T;
        if (isIpamError(reply) && (reply.error.code === 'unavailable' || reply.error.code === 'internal')) {
          last = new IpamError(reply.error.code, reply.error.message);
          continue;
        }
        return reply;
      } catch (err) {
        // No responders, timeout, a reconnect under way: network-svc may be restarting.
        last = err;
      }
    }
    throw last instanceof IpamError
      ? last
      : new IpamError(
          'unavailable',
          `network-svc did not answer ${subject}: ${last instanceof Error ? last.message : String(last)}`,
        );
  }
}
