import { Controller, Logger, Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { errorDetail, errorMessage } from '@skiff/api-machinery';
import {
  ClusterIpAllocationReply,
  ClusterIpAllocationRequest,
  ClusterIpErrorReply,
  clusterIpQueueGroup,
  ClusterIpReleaseReply,
  clusterIpSubjects,
} from '@skiff/messaging';
import { IpamException } from '../ipam/ipam.exception';
import { UndecodablePayload } from '../platform/nats-transport';
import { ClusterIpAllocator } from './cluster-ip-allocator.service';
import { ClusterIpException } from './cluster-ip.exception';

const log = new Logger('ClusterIpHandler');
const MAX_FIELD_LENGTH = 253;

function fieldsOf(payload: unknown): Record<string, unknown> {
  if (payload instanceof UndecodablePayload) throw new ClusterIpException('invalid-request', payload.reason);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new ClusterIpException('invalid-request', 'payload must be a JSON object');
  return payload as Record<string, unknown>;
}

function text(f: Record<string, unknown>, name: string, optional = false): string | undefined {
  const v = f[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > MAX_FIELD_LENGTH)
    throw new ClusterIpException(
      'invalid-request',
      `${name} must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters`,
    );
  return v;
}

export function parseClusterIpAllocation(payload: unknown): ClusterIpAllocationRequest {
  const f = fieldsOf(payload);
  const ip = text(f, 'ip', true);
  return {
    serviceUid: text(f, 'serviceUid')!,
    namespace: text(f, 'namespace')!,
    name: text(f, 'name')!,
    ...(ip ? { ip } : {}),
    ...(f.dryRun === true ? { dryRun: true } : {}),
  };
}

function errorReply(err: unknown, subject: string): ClusterIpErrorReply {
  if (err instanceof ClusterIpException || err instanceof IpamException) {
    if (err.code === 'unavailable' || err.code === 'internal') log.warn(`${subject}: ${err.code}: ${err.message}`);
    return { error: { code: err.code, message: err.message } };
  }
  log.error(`${subject}: ${errorDetail(err)}`);
  return { error: { code: 'internal', message: errorMessage(err) } };
}

/** The NATS edge of the ClusterIP allocator (subjects carry the cluster's prefix; replicas share a queue group). */
export function clusterIpHandlerFor(natsPrefix: string): Type<unknown> {
  const subjects = clusterIpSubjects(natsPrefix);
  const queue = clusterIpQueueGroup(natsPrefix);

  @Controller()
  class NatsClusterIpHandler {
    constructor(private readonly allocator: ClusterIpAllocator) {}

    @MessagePattern(subjects.allocate, { queue })
    async allocate(@Payload() payload: unknown): Promise<ClusterIpAllocationReply> {
      try {
        return await this.allocator.allocate(parseClusterIpAllocation(payload));
      } catch (err) {
        return errorReply(err, subjects.allocate);
      }
    }

    @MessagePattern(subjects.release, { queue })
    async release(@Payload() payload: unknown): Promise<ClusterIpReleaseReply> {
      try {
        return await this.allocator.release({ serviceUid: text(fieldsOf(payload), 'serviceUid')! });
      } catch (err) {
        return errorReply(err, subjects.release);
      }
    }
  }
  return NatsClusterIpHandler;
}
