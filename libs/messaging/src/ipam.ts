// NATS request/reply contract of network-svc's ENI/IPAM (VSwitch addresses for pods).
//
// Wire format: the request body is the plain JSON of the request type and the reply is the
// plain JSON of the result or of an IpamErrorReply (not NestJS's {pattern,data,id} envelope),
// so any `nats` client can call it: `nc.request(subject, JSONCodec().encode(req))`.
// Replicas of network-svc answer from one queue group; any replica may take any request.

export function ipamSubjects(natsPrefix: string): { allocate: string; release: string } {
  return { allocate: `${natsPrefix}.ipam.allocate`, release: `${natsPrefix}.ipam.release` };
}

/** The NATS queue group network-svc replicas subscribe with, so each request is served once. */
export function ipamQueueGroup(natsPrefix: string): string {
  return `${natsPrefix}.network-svc.ipam`;
}

/** Idempotent per podUid: asking again answers the address the pod already holds. */
export interface IpAllocationRequest {
  podUid: string;
  namespace: string;
  name: string;
  hostId: string;
}

/** The pod's ENI address on the VSwitch: `ip`/`prefixLength`, default route via `gateway`. */
export interface IpAllocation {
  podUid: string;
  ip: string;
  prefixLength: number;
  gateway: string;
  cidr: string;
}

export interface IpReleaseRequest {
  podUid: string;
}

/** `released: false` when the pod held no address (already released, or never allocated). */
export interface IpReleaseResult {
  released: boolean;
}

/**
 * - `invalid-request`: the payload is not JSON or misses/mistypes a field; do not retry as is.
 * - `exhausted`: no free address in the VSwitch CIDR (message: `no free address in <cidr>`).
 * - `unavailable`: network-svc cannot reach its database right now; retry with backoff.
 * - `internal`: anything else; retry with backoff.
 */
export type IpamErrorCode = 'invalid-request' | 'exhausted' | 'unavailable' | 'internal';

export interface IpamErrorReply {
  error: { code: IpamErrorCode; message: string };
}

export type IpAllocationReply = IpAllocation | IpamErrorReply;
export type IpReleaseReply = IpReleaseResult | IpamErrorReply;

export function isIpamError(reply: unknown): reply is IpamErrorReply {
  return (
    typeof reply === 'object' &&
    reply !== null &&
    'error' in reply &&
    typeof (reply as IpamErrorReply).error === 'object'
  );
}
