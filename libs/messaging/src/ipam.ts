// NATS request/reply contract of network-svc's ENI/IPAM (VSwitch addresses for pods).

export function ipamSubjects(natsPrefix: string): { allocate: string; release: string } {
  return { allocate: `${natsPrefix}.ipam.allocate`, release: `${natsPrefix}.ipam.release` };
}

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

export interface IpReleaseResult {
  released: boolean;
}
