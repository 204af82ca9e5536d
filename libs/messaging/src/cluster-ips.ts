// NATS request/reply contract of network-svc's Service ClusterIP allocator (the service CIDR,
// 10.96.0.0/16 by default). Same wire format as IPAM (plain JSON each way); the API server asks
// when it creates a Service and gives the address back when the Service is deleted.
import { IpamErrorCode } from './ipam';

export function clusterIpSubjects(natsPrefix: string): { allocate: string; release: string } {
  return { allocate: `${natsPrefix}.clusterip.allocate`, release: `${natsPrefix}.clusterip.release` };
}

/** The queue group network-svc replicas answer ClusterIP requests from. */
export function clusterIpQueueGroup(natsPrefix: string): string {
  return `${natsPrefix}.network-svc.clusterip`;
}

/**
 * Idempotent per serviceUid: asking again answers the address the Service holds. `ip` asks for
 * that address; without it one is picked at random from the dynamic part of the range (upstream's
 * split: the first 1/16, at most 256 addresses, is kept for addresses asked for by value).
 * `dryRun` checks and picks without holding anything.
 */
export interface ClusterIpAllocationRequest {
  serviceUid: string;
  namespace: string;
  name: string;
  ip?: string;
  dryRun?: boolean;
}

export interface ClusterIpAllocation {
  ip: string;
  /** The service CIDR, for messages. */
  cidr: string;
}

export interface ClusterIpReleaseRequest {
  serviceUid: string;
}

/**
 * IPAM's codes, and:
 * - `already-allocated`: the address asked for is held by another Service;
 * - `out-of-range`: the address asked for is not in the service CIDR (or is its network or broadcast address).
 */
export type ClusterIpErrorCode = IpamErrorCode | 'already-allocated' | 'out-of-range';

export interface ClusterIpErrorReply {
  error: { code: ClusterIpErrorCode; message: string };
}

export type ClusterIpAllocationReply = ClusterIpAllocation | ClusterIpErrorReply;
export type ClusterIpReleaseReply = { released: boolean } | ClusterIpErrorReply;
