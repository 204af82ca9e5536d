import { ApiError } from '@skiff/api-machinery';
import { ClusterIpAllocationRequest } from '@skiff/messaging';
import { ClusterIps } from './cluster-ip.client';

/** ClusterIPs handed out in order from 10.96.1.0 up, by Service uid; what network-svc answers, in memory. */
export class InMemoryClusterIps extends ClusterIps {
  readonly held = new Map<string, string>();
  private next = 256;

  async allocate(req: ClusterIpAllocationRequest): Promise<string> {
    const ip = req.ip ?? `10.96.${Math.floor(this.next / 256)}.${this.next++ % 256}`;
    const holder = [...this.held.entries()].find(([, v]) => v === ip)?.[0];
    if (holder && holder !== req.serviceUid)
      throw ApiError.invalid('', 'Service', req.name, [
        { reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: 'provided IP is already allocated' },
      ]);
    if (!req.dryRun) this.held.set(req.serviceUid, ip);
    return ip;
  }

  async release(serviceUid: string): Promise<void> {
    this.held.delete(serviceUid);
  }
}
