import { Controller, Logger, Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IpAllocationReply, IpamErrorReply, ipamQueueGroup, ipamSubjects, IpReleaseReply } from '@skiff/messaging';
import { EniAllocator } from './eni-allocator.service';
import { parseAllocationRequest, parseReleaseRequest } from './ipam-request';
import { IpamException } from './ipam.exception';
import { errorMessage, errorDetail } from '@skiff/api-machinery';

export interface IpamHandler {
  allocate(payload: unknown): Promise<IpAllocationReply>;
  release(payload: unknown): Promise<IpReleaseReply>;
}

const log = new Logger('IpamHandler');

function errorReply(err: unknown, subject: string): IpamErrorReply {
  if (err instanceof IpamException) {
    if (err.code !== 'invalid-request' && err.code !== 'exhausted') log.warn(`${subject}: ${err.code}: ${err.message}`);
    return { error: { code: err.code, message: err.message } };
  }
  log.error(`${subject}: ${errorDetail(err)}`);
  return { error: { code: 'internal', message: errorMessage(err) } };
}

/**
 * The NATS edge of IPAM. Subjects carry the cluster's prefix, known only once config is
 * loaded, so the decorated class is made per prefix rather than at import time.
 * Replicas share one queue group: each request is answered by exactly one of them.
 */
export function ipamHandlerFor(natsPrefix: string): Type<IpamHandler> {
  const subjects = ipamSubjects(natsPrefix);
  const queue = ipamQueueGroup(natsPrefix);

  @Controller()
  class NatsIpamHandler implements IpamHandler {
    constructor(private readonly allocator: EniAllocator) {}

    @MessagePattern(subjects.allocate, { queue })
    async allocate(@Payload() payload: unknown): Promise<IpAllocationReply> {
      try {
        return await this.allocator.allocate(parseAllocationRequest(payload));
      } catch (err) {
        return errorReply(err, subjects.allocate);
      }
    }

    @MessagePattern(subjects.release, { queue })
    async release(@Payload() payload: unknown): Promise<IpReleaseReply> {
      try {
        return await this.allocator.release(parseReleaseRequest(payload));
      } catch (err) {
        return errorReply(err, subjects.release);
      }
    }
  }
  return NatsIpamHandler;
}
