import { ipv4ToNumber } from '../ipam/cidr';
import { ClusterIpRecord, ClusterIpRepository } from './cluster-ip.repository';

/** The table's contract (unique address, unique Service) over a map. */
export class InMemoryClusterIpRepository extends ClusterIpRepository {
  readonly rows = new Map<string, ClusterIpRecord>();

  async findByServiceUid(serviceUid: string): Promise<ClusterIpRecord | undefined> {
    return [...this.rows.values()].find((r) => r.serviceUid === serviceUid);
  }

  async isTaken(ip: string): Promise<boolean> {
    return this.rows.has(ip);
  }

  async takenBetween(fromIp: string, toIp: string): Promise<string[]> {
    const [lo, hi] = [ipv4ToNumber(fromIp), ipv4ToNumber(toIp)];
    return [...this.rows.keys()].filter((ip) => ipv4ToNumber(ip) >= lo && ipv4ToNumber(ip) <= hi);
  }

  async insert(r: Omit<ClusterIpRecord, 'allocatedAt'>, allocatedAt: Date): Promise<boolean> {
    if (this.rows.has(r.ip) || (await this.findByServiceUid(r.serviceUid))) return false;
    this.rows.set(r.ip, { ...r, allocatedAt });
    return true;
  }

  async releaseByServiceUid(serviceUid: string): Promise<boolean> {
    const row = await this.findByServiceUid(serviceUid);
    return row ? this.rows.delete(row.ip) : false;
  }

  async listAll(): Promise<ClusterIpRecord[]> {
    return [...this.rows.values()];
  }
}
