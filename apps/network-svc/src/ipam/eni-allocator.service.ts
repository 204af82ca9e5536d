import { Injectable, Logger } from '@nestjs/common';
import { IpAllocation, IpAllocationRequest, IpReleaseRequest, IpReleaseResult } from '@skiff/messaging';
import { Clock } from '@skiff/api-machinery';
import { VSwitchRange } from './cidr';
import {
  EniAllocationConflict,
  EniAllocationRecord,
  EniAllocationRepository,
  EniAllocationTx,
} from './eni-allocation.repository';
import { IpamException } from './ipam.exception';

// Offsets read per query while looking for a free address; with rotation the first window
// nearly always has one, so a full scan only happens close to exhaustion.
const SCAN_WINDOW = 1024;
// A conflict means another transaction just committed; trying again sees its row.
const MAX_CONFLICT_RETRIES = 8;
// Rides out a Postgres restart (pooled connections die once, new ones are dialled).
const UNAVAILABLE_BACKOFF_MS = [200, 500, 1000];

/**
 * Hands out pod ENI addresses from the VSwitch CIDR. Safe across replicas: every
 * allocation runs in one transaction that first locks the CIDR's cursor row, and the
 * table's unique ip and pod_uid make a double hand-out impossible even if that lock were lost.
 */
@Injectable()
export class EniAllocator {
  private readonly log = new Logger(EniAllocator.name);

  constructor(
    private readonly repo: EniAllocationRepository,
    private readonly range: VSwitchRange,
    private readonly clock: Clock,
  ) {}

  async allocate(req: IpAllocationRequest): Promise<IpAllocation> {
    return this.withRetries(`allocate ${req.podUid}`, async () => {
      // Fast path for a pod asking again (agent restart, retried request): no lock taken.
      const held = await this.repo.findByPodUid(req.podUid);
      if (held && this.range.isAssignable(held.ip)) return this.toAllocation(held);
      return this.repo.transaction(async (tx) => {
        const cursor = await tx.lockCursor(this.range.cidr, this.range.firstOffset);
        // Re-read under the lock: a concurrent request for the same pod may have just committed.
        const current = await tx.findByPodUid(req.podUid);
        if (current && this.range.isAssignable(current.ip)) return this.toAllocation(current);
        // Held outside today's CIDR (the VSwitch was reconfigured): give it an address that works.
        if (current) await tx.deleteByPodUid(req.podUid);
        const offset = await this.findFree(tx, cursor);
        if (offset === undefined) throw new IpamException('exhausted', `no free address in ${this.range.cidr}`);
        const record: EniAllocationRecord = {
          ip: this.range.ipAt(offset),
          podUid: req.podUid,
          namespace: req.namespace,
          name: req.name,
          hostId: req.hostId,
          allocatedAt: this.clock.now(),
        };
        await tx.insert(record);
        await tx.saveCursor(this.range.cidr, this.range.following(offset));
        return this.toAllocation(record);
      });
    });
  }

  async release(req: IpReleaseRequest): Promise<IpReleaseResult> {
    return this.withRetries(`release ${req.podUid}`, async () => ({ released: await this.repo.release(req.podUid) }));
  }

  /** The first free offset from `cursor` to the end of the range, then from its start. */
  private async findFree(tx: EniAllocationTx, cursor: number): Promise<number | undefined> {
    const { firstOffset, lastOffset } = this.range;
    const start = cursor >= firstOffset && cursor <= lastOffset ? cursor : firstOffset;
    const spans: [number, number][] = [[start, lastOffset]];
    if (start > firstOffset) spans.push([firstOffset, start - 1]);
    for (const [from, to] of spans) {
      for (let lo = from; lo <= to; lo += SCAN_WINDOW) {
        const hi = Math.min(to, lo + SCAN_WINDOW - 1);
        const taken = new Set(
          (await tx.allocatedIpsBetween(this.range.ipAt(lo), this.range.ipAt(hi))).map((ip) => this.range.offsetOf(ip)),
        );
        for (let o = lo; o <= hi; o++) if (!taken.has(o)) return o;
      }
    }
    return undefined;
  }

  private toAllocation(r: EniAllocationRecord): IpAllocation {
    return {
      podUid: r.podUid,
      ip: r.ip,
      prefixLength: this.range.prefixLength,
      gateway: this.range.gateway,
      cidr: this.range.cidr,
    };
  }

  private async withRetries<T>(what: string, op: () => Promise<T>): Promise<T> {
    let conflicts = 0;
    let outages = 0;
    for (;;) {
      try {
        return await op();
      } catch (err) {
        if (err instanceof EniAllocationConflict && conflicts < MAX_CONFLICT_RETRIES) {
          conflicts++;
          continue;
        }
        if (err instanceof IpamException && err.code === 'unavailable' && outages < UNAVAILABLE_BACKOFF_MS.length) {
          this.log.warn(`${what}: ${err.message}; retrying`);
          await this.clock.sleep(UNAVAILABLE_BACKOFF_MS[outages++]);
          continue;
        }
        if (err instanceof EniAllocationConflict)
          throw new IpamException('internal', `${what}: still conflicting after ${conflicts} retries`);
        throw err;
      }
    }
  }
}
