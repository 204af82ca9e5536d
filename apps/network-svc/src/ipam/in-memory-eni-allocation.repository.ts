import {
  EniAllocationConflict,
  EniAllocationRecord,
  EniAllocationRepository,
  EniAllocationTx,
} from './eni-allocation.repository';

/**
 * The allocation table in memory for specs: transactions run one at a time and roll back
 * on error, and insert enforces the same unique ip / pod_uid as the real table.
 */
export class InMemoryEniAllocationRepository extends EniAllocationRepository {
  rows = new Map<string, EniAllocationRecord>();
  cursors = new Map<string, number>();
  /** Errors the next operations throw, in order (to drive retry paths). */
  failures: Error[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  async findByPodUid(podUid: string): Promise<EniAllocationRecord | undefined> {
    this.maybeFail();
    return [...this.rows.values()].find((r) => r.podUid === podUid);
  }

  transaction<T>(work: (tx: EniAllocationTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.maybeFail();
      const rows = new Map(this.rows);
      const cursors = new Map(this.cursors);
      const result = await work(this.txOver(rows, cursors));
      // Commit; a throw above leaves the originals untouched (rollback).
      this.rows = rows;
      this.cursors = cursors;
      return result;
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async release(podUid: string): Promise<boolean> {
    this.maybeFail();
    const row = [...this.rows.values()].find((r) => r.podUid === podUid);
    if (row) this.rows.delete(row.ip);
    return row !== undefined;
  }

  async listAllocatedBefore(cutoff: Date, limit: number, after?: EniAllocationRecord): Promise<EniAllocationRecord[]> {
    this.maybeFail();
    const key = (r: EniAllocationRecord): string => `${String(r.allocatedAt.getTime()).padStart(15, '0')} ${r.ip}`;
    return [...this.rows.values()]
      .filter((r) => r.allocatedAt < cutoff && (!after || key(r) > key(after)))
      .sort((a, b) => key(a).localeCompare(key(b)))
      .slice(0, limit);
  }

  private txOver(rows: Map<string, EniAllocationRecord>, cursors: Map<string, number>): EniAllocationTx {
    return {
      findByPodUid: async (podUid) => [...rows.values()].find((r) => r.podUid === podUid),
      lockCursor: async (cidr, initial) => {
        if (!cursors.has(cidr)) cursors.set(cidr, initial);
        return cursors.get(cidr)!;
      },
      saveCursor: async (cidr, next) => {
        cursors.set(cidr, next);
      },
      allocatedIpsBetween: async (from, to) =>
        [...rows.keys()].filter((ip) => ipNum(ip) >= ipNum(from) && ipNum(ip) <= ipNum(to)),
      insert: async (record) => {
        if (rows.has(record.ip) || [...rows.values()].some((r) => r.podUid === record.podUid)) {
          throw new EniAllocationConflict(`duplicate ${record.ip} or ${record.podUid}`);
        }
        rows.set(record.ip, { ...record });
      },
      deleteByPodUid: async (podUid) => {
        const row = [...rows.values()].find((r) => r.podUid === podUid);
        if (row) rows.delete(row.ip);
        return row !== undefined;
      },
    };
  }

  private maybeFail(): void {
    const next = this.failures.shift();
    if (next) throw next;
  }
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}
