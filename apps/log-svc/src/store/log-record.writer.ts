import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { LogStoreSettings } from '@skiff/messaging';
import { DATA_SOURCE } from '@skiff/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { IngestRecord } from './ingest-record';
import { DAY_MS, dayOf, LogPartitions } from './log-partitions';
import { STORE_COLUMNS, StoreRow, storeRowOf } from './log-stores.repository';
import { isNoPartition } from './pg-errors';

/** The channel a commit of new records is announced on (live tail): `{ xid, stores: [[id, fromSeq, toSeq, fromTime, toTime]] }`. */
export const RECORDS_CHANNEL = 'log_records';

export interface RecordsNotice {
  /** The writing transaction (`pg_current_xact_id()`): its rows are exactly the new ones. */
  xid: string;
  stores: [storeId: number, fromSeq: string, toSeq: string, fromTime: string, toTime: string][];
}

export interface WriteOutcome {
  inserted: number;
  /** Records the store already had (a redelivered or re-read batch). */
  duplicates: number;
  /** Records older than their store's TTL. */
  expired: number;
  /** Stores this write made (their Logstore objects are made next). */
  created: StoreRow[];
}

// A notice stays well under Postgres' 8000-byte payload limit.
const STORES_PER_NOTICE = 60;

/**
 * Writes batches of records in one transaction: makes the stores they name (the settings of a store that exists are
 * left alone, as ASK does), their streams, and the records, skipping those it already has (same stream, time and id).
 */
@Injectable()
export class LogRecordWriter {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly partitions: LogPartitions,
    private readonly clock: Clock,
  ) {}

  async write(stores: LogStoreSettings[], records: IngestRecord[]): Promise<WriteOutcome> {
    const days = await this.daysToKeep(stores, records);
    await this.partitions.ensure(days);
    try {
      return await this.ds.transaction('READ COMMITTED', (m) => this.writeIn(m, stores, records));
    } catch (err) {
      if (!isNoPartition(err)) throw err;
      // Retention dropped a day since we looked: look again.
      this.partitions.forget();
      await this.partitions.ensure(days);
      return this.ds.transaction('READ COMMITTED', (m) => this.writeIn(m, stores, records));
    }
  }

  /** The days of the records their stores keep (by the TTLs stored, or given for a new store): they need partitions. */
  private async daysToKeep(stores: LogStoreSettings[], records: IngestRecord[]): Promise<Set<number>> {
    const ttl = new Map(stores.map((s) => [key(s), s.ttlDays]));
    const stored: { namespace: string; name: string; ttl_days: number }[] = await this.ds.query(
      `SELECT namespace, name, ttl_days FROM log_stores
       WHERE (namespace, name) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [stores.map((s) => s.namespace), stores.map((s) => s.name)],
    );
    for (const s of stored) ttl.set(key(s), s.ttl_days);
    const now = this.clock.nowMs();
    const days = new Set<number>();
    for (const r of records) if (r.timeMs >= now - (ttl.get(r.store) ?? 0) * DAY_MS) days.add(dayOf(r.timeMs));
    return days;
  }

  private async writeIn(m: EntityManager, settings: LogStoreSettings[], all: IngestRecord[]): Promise<WriteOutcome> {
    // Sorted, so two writers lock the same rows in the same order.
    const sorted = [...settings].sort((a, b) => key(a).localeCompare(key(b)));
    const created: StoreRow[] = (
      await m.query(
        `INSERT INTO log_stores (namespace, name, ttl_days, shards, mode, project)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[])
         ON CONFLICT (namespace, name) DO NOTHING RETURNING ${STORE_COLUMNS}`,
        [
          sorted.map((s) => s.namespace),
          sorted.map((s) => s.name),
          sorted.map((s) => s.ttlDays),
          sorted.map((s) => s.shards),
          sorted.map((s) => s.mode),
          sorted.map((s) => s.project ?? null),
        ],
      )
    ).map(storeRowOf);
    // KEY SHARE: a store being deleted waits for this write, and this write waits for a deletion under way.
    const held: { id: number; namespace: string; name: string; ttl_days: number }[] = await m.query(
      `SELECT id, namespace, name, ttl_days FROM log_stores
       WHERE (namespace, name) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY id FOR KEY SHARE`,
      [sorted.map((s) => s.namespace), sorted.map((s) => s.name)],
    );
    const storeOf = new Map(held.map((s) => [`${s.namespace}/${s.name}`, s]));
    const now = this.clock.nowMs();
    const records = all.filter((r) => {
      const s = storeOf.get(r.store);
      return s !== undefined && r.timeMs >= now - s.ttl_days * DAY_MS;
    });
    const expired = all.length - records.length;
    if (records.length === 0) return { inserted: 0, duplicates: 0, expired, created };

    const streamIds = await this.streams(m, records, storeOf, now);
    const perStore: {
      store_id: number;
      from_seq: string;
      to_seq: string;
      from_time: string;
      to_time: string;
      n: number;
    }[] = await m.query(
      `WITH ins AS (
           INSERT INTO log_records (store_id, stream_id, id, time, time_nanos, piece_index, piece_last, line)
           SELECT * FROM unnest($1::int[], $2::int[], $3::uuid[], $4::timestamptz[], $5::smallint[], $6::int[],
                                $7::bool[], $8::text[])
           ON CONFLICT DO NOTHING
           RETURNING store_id, seq, time)
         SELECT store_id, min(seq)::text AS from_seq, max(seq)::text AS to_seq, min(time)::text AS from_time,
                max(time)::text AS to_time, count(*)::int AS n
         FROM ins GROUP BY store_id`,
      [
        records.map((r) => storeOf.get(r.store)!.id),
        records.map((r) => streamIds.get(streamKey(storeOf.get(r.store)!.id, r))!),
        records.map((r) => r.id),
        records.map((r) => r.time),
        records.map((r) => r.nanos),
        records.map((r) => r.piece?.index ?? null),
        records.map((r) => r.piece?.last ?? null),
        records.map((r) => r.line),
      ],
    );
    for (let i = 0; i < perStore.length; i += STORES_PER_NOTICE) {
      const stores = perStore
        .slice(i, i + STORES_PER_NOTICE)
        .map((s) => [s.store_id, s.from_seq, s.to_seq, s.from_time, s.to_time]);
      await m.query(
        `SELECT pg_notify($1, json_build_object('xid', pg_current_xact_id()::text, 'stores', $2::json)::text)`,
        [RECORDS_CHANNEL, JSON.stringify(stores)],
      );
    }
    const inserted = perStore.reduce((n, s) => n + s.n, 0);
    return { inserted, duplicates: records.length - inserted, expired, created };
  }

  /**
   * Makes the streams the records belong to and returns their ids by `streamKey`. A stream's `last_day` moves at most
   * once a day; retention deletes streams idle past their store's TTL, and that update makes it wait and look again
   * (a stream made by this write has today's already).
   */
  private async streams(
    m: EntityManager,
    records: IngestRecord[],
    storeOf: Map<string, { id: number }>,
    now: number,
  ): Promise<Map<string, number>> {
    const distinct = new Map<string, { storeId: number; r: IngestRecord }>();
    for (const r of records) {
      const storeId = storeOf.get(r.store)!.id;
      const k = streamKey(storeId, r);
      if (!distinct.has(k)) distinct.set(k, { storeId, r });
    }
    const streams = [...distinct.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s);
    const today = new Date(dayOf(now) * DAY_MS).toISOString().slice(0, 10);
    const keys = [
      streams.map((s) => s.storeId),
      streams.map((s) => s.r.podUid),
      streams.map((s) => s.r.container),
      streams.map((s) => s.r.source),
    ];
    for (;;) {
      await m.query(
        `INSERT INTO log_streams (store_id, pod_uid, container, source, namespace, pod, host, tags, last_day)
         SELECT k.*, $9::date FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                          $7::text[], $8::jsonb[]) AS k
         ON CONFLICT (store_id, pod_uid, container, source) DO NOTHING`,
        [
          ...keys,
          streams.map((s) => s.r.namespace),
          streams.map((s) => s.r.pod),
          streams.map((s) => s.r.host),
          streams.map((s) => JSON.stringify(s.r.tags)),
          today,
        ],
      );
      const rows: StreamRow[] = await m.query(
        `SELECT s.id, s.store_id, s.pod_uid, s.container, s.source, s.last_day::text < $5 AS stale FROM log_streams s
         JOIN unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS k(store_id, pod_uid, container, source)
           ON s.store_id = k.store_id AND s.pod_uid = k.pod_uid AND s.container = k.container AND s.source = k.source`,
        [...keys, today],
      );
      // Only the first write of a day locks a stream's row (an upsert would lock it on every write, one writer at a
      // time). A stale row retention deleted meanwhile is not updated: then the streams are made again.
      const stale = rows.filter((r) => r.stale).map((r) => r.id);
      const [updated] = (await m.query(
        `UPDATE log_streams SET last_day = $2::date WHERE id = ANY($1::int[]) AND last_day < $2::date RETURNING id`,
        [stale, today],
      )) as [unknown[], number];
      if (updated.length < stale.length) continue;
      return new Map(
        rows.map((s) => [streamKey(s.store_id, { podUid: s.pod_uid, container: s.container, source: s.source }), s.id]),
      );
    }
  }
}

interface StreamRow {
  id: number;
  store_id: number;
  pod_uid: string;
  container: string;
  source: string;
  stale: boolean;
}

function key(s: { namespace: string; name: string }): string {
  return `${s.namespace}/${s.name}`;
}

function streamKey(storeId: number, r: Pick<IngestRecord, 'podUid' | 'container' | 'source'>): string {
  return `${storeId}\n${r.podUid}\n${r.container}\n${r.source}`;
}
