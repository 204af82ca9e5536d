import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '@skiff/persistence';
import { DataSource } from 'typeorm';
import { sqlState } from './pg-errors';

export const DAY_MS = 86_400_000;

// DDL on the partitioned table waits for its lock at most this long, so it never queues ingest behind a long query.
const DDL_LOCK_TIMEOUT = '5s';

/** A UTC day as the number of days since the epoch, and its partition's name (`log_records_20250601`). */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function partitionName(day: number): string {
  return `log_records_${new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

function dayOfPartition(name: string): number | undefined {
  const m = /^log_records_(\d{4})(\d{2})(\d{2})$/.exec(name);
  return m ? dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
}

/**
 * The daily partitions of `log_records`: made ahead of need by the leader and on demand by ingest (a record of a day
 * that has none), dropped by retention. Remembers the days it has seen so ingest asks Postgres only for new ones.
 */
@Injectable()
export class LogPartitions {
  private known?: Set<number>;

  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  /** The days that have a partition, oldest first. */
  async days(): Promise<number[]> {
    const rows: { name: string }[] = await this.ds.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'log_records'::regclass`,
    );
    const days = rows.map((r) => dayOfPartition(r.name)).filter((d): d is number => d !== undefined);
    this.known = new Set(days);
    return days.sort((a, b) => a - b);
  }

  /** Makes the partitions of `days` that are missing. */
  async ensure(days: Iterable<number>): Promise<void> {
    const known = this.known ?? new Set(await this.days());
    for (const day of new Set(days)) {
      if (known.has(day)) continue;
      await this.ddl(
        `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF log_records
         FOR VALUES FROM ('${new Date(day * DAY_MS).toISOString()}') TO ('${new Date((day + 1) * DAY_MS).toISOString()}')`,
      ).catch((err: unknown) => {
        // Another replica made it between our look and our CREATE.
        if (!isDuplicateObject(err)) throw err;
      });
      known.add(day);
    }
  }

  async drop(day: number): Promise<void> {
    await this.ddl(`DROP TABLE IF EXISTS ${partitionName(day)}`);
    this.known?.delete(day);
  }

  /** Forgets what it knows (a partition it thought was there is gone): the next ensure asks Postgres. */
  forget(): void {
    this.known = undefined;
  }

  private async ddl(sql: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
      await m.query(sql);
    });
  }
}

// duplicate_table, or unique_violation (pg_type's row of a table made at the same moment).
function isDuplicateObject(err: unknown): boolean {
  return sqlState(err) === '42P07' || sqlState(err) === '23505';
}
