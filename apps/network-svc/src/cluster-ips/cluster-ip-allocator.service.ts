import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { ClusterIpAllocation, ClusterIpAllocationRequest, ClusterIpReleaseRequest } from '@skiff/messaging';
import { randomInt } from 'node:crypto';
import { IpamException } from '../ipam/ipam.exception';
import { ClusterIpException } from './cluster-ip.exception';
import { ClusterIpRepository } from './cluster-ip.repository';
import { ServiceCidr } from './service-cidr';

// Offsets read per query while looking for a free address.
const SCAN_WINDOW = 1024;
// Another replica may take the address just found: look again this many times.
const MAX_RACES = 8;
const UNAVAILABLE_BACKOFF_MS = [200, 500, 1000];

/**
 * Service ClusterIPs from the service CIDR, as upstream's allocator: an address asked for by
 * value is honoured or refused with upstream's words, others are picked at random. The table's
 * unique ip and service_uid make an address held twice impossible across replicas.
 */
@Injectable()
export class ClusterIpAllocator {
  private readonly log = new Logger(ClusterIpAllocator.name);

  constructor(
    private readonly repo: ClusterIpRepository,
    private readonly range: ServiceCidr,
    private readonly clock: Clock,
  ) {}

  async allocate(req: ClusterIpAllocationRequest): Promise<ClusterIpAllocation> {
    return this.withRetries(`allocate for ${req.namespace}/${req.name}`, async () => {
      const held = await this.repo.findByServiceUid(req.serviceUid);
      if (held) return this.answer(held.ip);
      return req.ip === undefined ? this.allocateAny(req) : this.allocateAsked(req, req.ip);
    });
  }

  async release(req: ClusterIpReleaseRequest): Promise<{ released: boolean }> {
    return this.withRetries(`release ${req.serviceUid}`, async () => ({
      released: await this.repo.releaseByServiceUid(req.serviceUid),
    }));
  }

  private async allocateAsked(req: ClusterIpAllocationRequest, ip: string): Promise<ClusterIpAllocation> {
    if (!this.range.isAssignable(ip))
      throw new ClusterIpException(
        'out-of-range',
        `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range.cidr}`,
      );
    const taken = req.dryRun
      ? await this.repo.isTaken(ip)
      : !(await this.repo.insert(
          { ip, serviceUid: req.serviceUid, namespace: req.namespace, name: req.name },
          this.clock.now(),
        ));
    if (taken) {
      // The Service's own retried request may have just inserted it.
      const held = await this.repo.findByServiceUid(req.serviceUid);
      if (held) return this.answer(held.ip);
      throw new ClusterIpException('already-allocated', 'provided IP is already allocated');
    }
    return this.answer(ip);
  }

  private async allocateAny(req: ClusterIpAllocationRequest): Promise<ClusterIpAllocation> {
    for (let race = 0; race < MAX_RACES; race++) {
      const offset = await this.findFree();
      if (offset === undefined)
        throw new ClusterIpException('exhausted', 'failed to allocate a serviceIP: range is full');
      const ip = this.range.ipAt(offset);
      if (req.dryRun) return this.answer(ip);
      const row = { ip, serviceUid: req.serviceUid, namespace: req.namespace, name: req.name };
      if (await this.repo.insert(row, this.clock.now())) return this.answer(ip);
      const held = await this.repo.findByServiceUid(req.serviceUid);
      if (held) return this.answer(held.ip);
    }
    throw new ClusterIpException('internal', `still racing for an address after ${MAX_RACES} tries`);
  }

  /** A free offset: from a random point of the dynamic band to its end, then its start, then the static band. */
  private async findFree(): Promise<number | undefined> {
    const { firstOffset, lastOffset, dynamicStart } = this.range;
    const start = randomInt(dynamicStart, lastOffset + 1);
    const spans: [number, number][] = [
      [start, lastOffset],
      [dynamicStart, start - 1],
      [firstOffset, dynamicStart - 1],
    ];
    for (const [from, to] of spans) {
      for (let lo = from; lo <= to; lo += SCAN_WINDOW) {
        const hi = Math.min(to, lo + SCAN_WINDOW - 1);
        const taken = new Set(
          (await this.repo.takenBetween(this.range.ipAt(lo), this.range.ipAt(hi))).map((ip) => this.range.offsetOf(ip)),
        );
        for (let o = lo; o <= hi; o++) if (!taken.has(o)) return o;
      }
    }
    return undefined;
  }

  private answer(ip: string): ClusterIpAllocation {
    return { ip, cidr: this.range.cidr };
  }

  private async withRetries<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let outages = 0; ; outages++) {
      try {
        return await op();
      } catch (err) {
        if (!(err instanceof IpamException && err.code === 'unavailable') || outages >= UNAVAILABLE_BACKOFF_MS.length)
          throw err;
        this.log.warn(`${what}: ${err.message}; retrying`);
        await this.clock.sleep(UNAVAILABLE_BACKOFF_MS[outages]);
      }
    }
  }
}
