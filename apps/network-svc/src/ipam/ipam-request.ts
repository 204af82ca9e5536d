import { IpAllocationRequest, IpReleaseRequest } from '@skiff/messaging';
import { UndecodablePayload } from '../platform/nats-transport';
import { IpamException } from './ipam.exception';

// Generous bounds: a uid is 36 chars, names are DNS labels/subdomains (≤ 253).
const MAX_FIELD_LENGTH = 253;

function fieldsOf(payload: unknown): Record<string, unknown> {
  if (payload instanceof UndecodablePayload) throw new IpamException('invalid-request', payload.reason);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new IpamException('invalid-request', 'payload must be a JSON object');
  return payload as Record<string, unknown>;
}

function stringField(fields: Record<string, unknown>, name: string): string {
  const v = fields[name];
  if (typeof v !== 'string' || v === '')
    throw new IpamException('invalid-request', `${name} must be a non-empty string`);
  if (v.length > MAX_FIELD_LENGTH)
    throw new IpamException('invalid-request', `${name} is longer than ${MAX_FIELD_LENGTH} characters`);
  return v;
}

export function parseAllocationRequest(payload: unknown): IpAllocationRequest {
  const f = fieldsOf(payload);
  return {
    podUid: stringField(f, 'podUid'),
    namespace: stringField(f, 'namespace'),
    name: stringField(f, 'name'),
    hostId: stringField(f, 'hostId'),
  };
}

export function parseReleaseRequest(payload: unknown): IpReleaseRequest {
  return { podUid: stringField(fieldsOf(payload), 'podUid') };
}
