import { Inject, Injectable } from '@nestjs/common';
import { EniAllocationEntity, IpamCursorEntity } from '@skiff/ipam-schema';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { DATA_SOURCE } from '@skiff/persistence';
import { IpamException } from './ipam.exception';
import { errorMessage } from '@skiff/api-machinery';

export interface EniAllocationRecord {
  ip: string;
  podUid: string;
  namespace: string;
  name: string;
  hostId: string;
  allocatedAt: Date;
}

/** Another transaction won a race (unique constraint, serialization); the work may be retried. */
export class EniAllocationConflict extends Error {
  constructor(cause: string) {
    super(`allocation conflict: ${cause}`);
    this.name = 'EniAllocationConflict';
  }
}

/** What the allocator may do inside one transaction. */
export interface EniAllocationTx {
  findByPodUid(podUid: string): Promise<EniAllocationRecord | undefined>;
  /** Locks the CIDR's cursor row until commit (creating it at `initialOffset`) and returns its offset. */
  lockCursor(cidr: string, initialOffset: number): Promise<number>;
  saveCursor(cidr: string, nextOffset: number): Promise<void>;
  /** Allocated addresses in [fromIp, toIp], in any order. */
  allocatedIpsBetween(fromIp: string, toIp: string): Promise<string[]>;
  insert(record: EniAllocationRecord): Promise<void>;
  deleteByPodUid(podUid: string): Promise<boolean>;
}

/** network-svc's private allocation table. Abstract so specs can put an in-memory one in. */
export abstract class EniAllocationRepository {
  abstract findByPodUid(podUid: string): Promise<EniAllocationRecord | undefined>;
  abstract transaction<T>(work: (tx: EniAllocationTx) => Promise<T>): Promise<T>;
  /** Deletes the pod's row; false when there was none. */
  abstract release(podUid: string): Promise<boolean>;
  /** The oldest allocations made before `cutoff`, after the (allocatedAt, ip) `after` key. */
  abstract listAllocatedBefore(
    cutoff: Date,
    limit: number,
    after?: EniAllocationRecord,
  ): Promise<EniAllocationRecord[]>;
}

// SQLSTATEs: unique_violation, serialization_failure, deadlock_detected.
const CONFLICT_CODES = new Set(['23505', '40001', '40P01']);
// Connection exceptions (08), admin/crash shutdown and "starting up" (57P0x), too many clients (53300).
const UNAVAILABLE_CODE = /^(08|57P0|53300)/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|not queryable|Client has encountered a connection error/i;

/** Turns driver errors into the module's terms: a retryable conflict, or "database unavailable". */
export function translateDatabaseError(err: unknown): unknown {
  if (err instanceof IpamException || err instanceof EniAllocationConflict) return err;
  const driver =
    err instanceof QueryFailedError ? (err.driverError as { code?: unknown }) : (err as { code?: unknown });
  const code = typeof driver?.code === 'string' ? driver.code : '';
  const message = errorMessage(err);
  if (CONFLICT_CODES.has(code)) return new EniAllocationConflict(message);
  if (UNAVAILABLE_CODE.test(code) || UNAVAILABLE_MESSAGE.test(message))
    return new IpamException('unavailable', `database unavailable: ${message}`);
  return err;
}

function toRecord(e: EniAllocationEntity): EniAllocationRecord {
  return {
    ip: e.ip,
    podUid: e.podUid,
    namespace: e.namespace,
    name: e.name,
    hostId: e.hostId,
    allocatedAt: e.allocatedAt,
  };
}

class TypeOrmEniAllocationTx implements EniAllocationTx {
  constructor(private readonly m: EntityManager) {}

  async findByPodUid(podUid: string): Promise<EniAllocationRecord | undefined> {
    const row = await this.m.getRepository(EniAllocationEntity).findOneBy({ podUid });
    return row ? toRecord(row) : undefined;
  }

  async lockCursor(cidr: string, initialOffset: number): Promise<number> {
    // Insert-if-missing then lock: the first allocator of a fresh database creates the row.
    await this.m.query(`INSERT INTO ipam_cursors (cidr, next_offset) VALUES ($1, $2) ON CONFLICT (cidr) DO NOTHING`, [
      cidr,
      initialOffset,
    ]);
    const rows: { next_offset: string }[] = await this.m.query(
      `SELECT next_offset FROM ipam_cursors WHERE cidr = $1 FOR UPDATE`,
      [cidr],
    );
    return Number(rows[0].next_offset);
  }

  async saveCursor(cidr: string, nextOffset: number): Promise<void> {
    await this.m.getRepository(IpamCursorEntity).update({ cidr }, { nextOffset: String(nextOffset) });
  }

  async allocatedIpsBetween(fromIp: string, toIp: string): Promise<string[]> {
    const rows: { ip: string }[] = await this.m.query(
      `SELECT host(ip) AS ip FROM eni_allocations WHERE ip BETWEEN $1::inet AND $2::inet`,
      [fromIp, toIp],
    );
    return rows.map((r) => r.ip);
  }

  async insert(record: EniAllocationRecord): Promise<void> {
    await this.m.getRepository(EniAllocationEntity).insert(record);
  }

  async deleteByPodUid(podUid: string): Promise<boolean> {
    const res = await this.m.getRepository(EniAllocationEntity).delete({ podUid });
    return (res.affected ?? 0) > 0;
  }
}

@Injectable()
export class TypeOrmEniAllocationRepository extends EniAllocationRepository {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {
    super();
  }

  async findByPodUid(podUid: string): Promise<EniAllocationRecord | undefined> {
    return this.guard(() => new TypeOrmEniAllocationTx(this.ds.manager).findByPodUid(podUid));
  }

  async transaction<T>(work: (tx: EniAllocationTx) => Promise<T>): Promise<T> {
    // READ COMMITTED: each statement after the cursor lock sees rows committed by the
    // allocator that held the lock before us.
    return this.guard(() => this.ds.transaction('READ COMMITTED', (m) => work(new TypeOrmEniAllocationTx(m))));
  }

  async release(podUid: string): Promise<boolean> {
    return this.guard(() => new TypeOrmEniAllocationTx(this.ds.manager).deleteByPodUid(podUid));
  }

  async listAllocatedBefore(cutoff: Date, limit: number, after?: EniAllocationRecord): Promise<EniAllocationRecord[]> {
    return this.guard(async () => {
      const qb = this.ds
        .getRepository(EniAllocationEntity)
        .createQueryBuilder('a')
        .where('a.allocatedAt < :cutoff', { cutoff })
        .orderBy('a.allocatedAt', 'ASC')
        .addOrderBy('a.ip', 'ASC')
        .limit(limit);
      if (after)
        qb.andWhere('(a.allocatedAt, a.ip) > (:afterAt, CAST(:afterIp AS inet))', {
          afterAt: after.allocatedAt,
          afterIp: after.ip,
        });
      return (await qb.getMany()).map(toRecord);
    });
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw translateDatabaseError(err);
    }
  }
}
