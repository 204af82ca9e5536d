import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '@skiff/persistence';
import { DataSource } from 'typeorm';
import { DAY_MS, dayOf, LogPartitions } from './log-partitions';
import { purgeStore } from './log-stores.repository';

/** Partitions made this many days ahead, so ingest at midnight never waits on DDL. */
const DAYS_AHEAD = 2;

export interface RetentionOutcome {
  /** Days whose partition was dropped. */
  droppedDays: number[];
  /** Records deleted from stores whose TTL is shorter than the longest. */
  deletedRecords: number;
  deletedStreams: number;
}

/**
 * Enforces every store's TTL: a day's partition is dropped once its whole day is older than the longest TTL of any
 * store (the cheap path, no row is read); a store with a shorter TTL has its older records deleted row by row; a
 * stream that wrote nothing for longer than its store's TTL goes too, and so do the records of a deleted store that
 * a replica had not finished deleting. Queries never show records past their TTL
 * (they clamp the window), so what retention leaves for its next pass is never seen.
 */
@Injectable()
export class LogRetention {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly partitions: LogPartitions,
  ) {}

  async run(nowMs: number): Promise<RetentionOutcome> {
    const today = dayOf(nowMs);
    await this.partitions.ensure(Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => today + i));
    const stores: { id: number; ttl_days: number }[] = await this.ds.query(`SELECT id, ttl_days FROM log_stores`);
    // With no store left, nothing kept is anyone's: a day's records go with the shortest TTL there is.
    const longest = Math.max(1, ...stores.map((s) => s.ttl_days));
    const droppedDays: number[] = [];
    for (const day of await this.partitions.days()) {
      if ((day + 1) * DAY_MS > nowMs - longest * DAY_MS) break;
      await this.partitions.drop(day);
      droppedDays.push(day);
    }
    let deletedRecords = 0;
    for (const s of stores.filter((st) => st.ttl_days < longest)) {
      const [, count] = (await this.ds.query(`DELETE FROM log_records WHERE store_id = $1 AND time < $2`, [
        s.id,
        new Date(nowMs - s.ttl_days * DAY_MS),
      ])) as [unknown, number];
      deletedRecords += count;
    }
    // Deleted stores whose records a dead replica had not finished deleting.
    const tombstones: { store_id: number }[] = await this.ds.query(`SELECT store_id FROM log_store_tombstones`);
    for (const t of tombstones) await purgeStore(this.ds, t.store_id);
    const [, deletedStreams] = (await this.ds.query(
      `DELETE FROM log_streams s USING log_stores st
       WHERE s.store_id = st.id AND s.last_day < ($1::date - st.ttl_days)`,
      [new Date(today * DAY_MS).toISOString().slice(0, 10)],
    )) as [unknown, number];
    return { droppedDays, deletedRecords, deletedStreams };
  }
}
