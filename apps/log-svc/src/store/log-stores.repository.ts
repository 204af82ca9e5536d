import { Inject, Injectable } from '@nestjs/common';
import { LogStoreSettings } from '@skiff/messaging';
import { DATA_SOURCE } from '@skiff/persistence';
import { DataSource } from 'typeorm';

/** A logstore as log-svc keeps it. */
export interface StoreRow extends LogStoreSettings {
  id: number;
  createdAt: Date;
}

interface StoreRecord {
  id: number;
  namespace: string;
  name: string;
  ttl_days: number;
  shards: number;
  mode: 'standard' | 'query';
  project: string | null;
  created_at: Date;
}

export const STORE_COLUMNS = 'id, namespace, name, ttl_days, shards, mode, project, created_at';

export function storeRowOf(r: StoreRecord): StoreRow {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    ttlDays: r.ttl_days,
    shards: r.shards,
    mode: r.mode,
    ...(r.project ? { project: r.project } : {}),
    createdAt: r.created_at,
  };
}

/** The stores: what the Logstore objects and the query endpoint need of them. Abstract so specs can keep them in memory. */
export abstract class LogStoresRepository {
  abstract list(): Promise<StoreRow[]>;
  abstract find(namespace: string, name: string): Promise<StoreRow | undefined>;
  /** Makes the store, or gives it these settings (a Logstore object's spec is what the store keeps). */
  abstract save(s: LogStoreSettings): Promise<void>;
  /** Deletes the store, its streams and all its records; false when there was none. */
  abstract delete(namespace: string, name: string): Promise<boolean>;
}

/** The `log_stores` table. */
@Injectable()
export class PostgresLogStoresRepository extends LogStoresRepository {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {
    super();
  }

  async list(): Promise<StoreRow[]> {
    const rows: StoreRecord[] = await this.ds.query(`SELECT ${STORE_COLUMNS} FROM log_stores ORDER BY id`);
    return rows.map(storeRowOf);
  }

  async find(namespace: string, name: string): Promise<StoreRow | undefined> {
    const rows: StoreRecord[] = await this.ds.query(
      `SELECT ${STORE_COLUMNS} FROM log_stores WHERE namespace = $1 AND name = $2`,
      [namespace, name],
    );
    return rows[0] && storeRowOf(rows[0]);
  }

  async save(s: LogStoreSettings): Promise<void> {
    await this.ds.query(
      `INSERT INTO log_stores (namespace, name, ttl_days, shards, mode, project) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (namespace, name) DO UPDATE SET ttl_days = EXCLUDED.ttl_days, shards = EXCLUDED.shards,
         mode = EXCLUDED.mode, project = EXCLUDED.project`,
      [s.namespace, s.name, s.ttlDays, s.shards, s.mode, s.project ?? null],
    );
  }

  // The store's row goes first, in a short transaction of its own: that waits for the writes that hold it (ingest
  // takes it FOR KEY SHARE), and later writes make a new store. Its records then go a day at a time, so a big store
  // never holds a writer up; the tombstone lets retention finish the job if this process dies first.
  async delete(namespace: string, name: string): Promise<boolean> {
    const id = await this.ds.transaction(async (m) => {
      // TypeORM answers a DELETE with [rows, count].
      const [rows] = (await m.query(`DELETE FROM log_stores WHERE namespace = $1 AND name = $2 RETURNING id`, [
        namespace,
        name,
      ])) as [{ id: number }[], number];
      if (rows.length > 0) await m.query(`INSERT INTO log_store_tombstones (store_id) VALUES ($1)`, [rows[0].id]);
      return rows[0]?.id;
    });
    if (id === undefined) return false;
    await purgeStore(this.ds, id);
    return true;
  }
}

/** Deletes the records of a deleted store, partition by partition, then its tombstone. */
export async function purgeStore(ds: DataSource, storeId: number): Promise<void> {
  const partitions: { name: string }[] = await ds.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'log_records'::regclass`,
  );
  for (const p of partitions) await ds.query(`DELETE FROM ${p.name} WHERE store_id = $1`, [storeId]);
  await ds.query(`DELETE FROM log_store_tombstones WHERE store_id = $1`, [storeId]);
}
