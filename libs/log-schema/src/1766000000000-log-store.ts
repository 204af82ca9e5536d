import { MigrationInterface, QueryRunner } from 'typeorm';

// log-svc's store (docs/logs.md). Records are partitioned by day of `time`; log-svc makes the partitions (ahead of
// need, and on demand for older or newer records) and drops them when every store's TTL has passed them.
export class LogStore1766000000000 implements MigrationInterface {
  name = 'LogStore1766000000000';

  async up(q: QueryRunner): Promise<void> {
    // Trusted since Postgres 13: the database's owner may create it.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE TABLE log_stores (
      id serial PRIMARY KEY,
      namespace text NOT NULL,
      name text NOT NULL,
      ttl_days integer NOT NULL,
      shards integer NOT NULL,
      mode text NOT NULL,
      project text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (namespace, name)
    )`);
    // Stores deleted whose records are still being deleted (a day's partition at a time).
    await q.query(`CREATE TABLE log_store_tombstones (
      store_id integer PRIMARY KEY,
      deleted_at timestamptz NOT NULL DEFAULT now()
    )`);
    // One row per (store, pod, container, source): what every record of it shares, stored once.
    await q.query(`CREATE TABLE log_streams (
      id serial PRIMARY KEY,
      store_id integer NOT NULL REFERENCES log_stores (id) ON DELETE CASCADE,
      namespace text NOT NULL,
      pod text NOT NULL,
      pod_uid text NOT NULL,
      container text NOT NULL,
      host text NOT NULL,
      source text NOT NULL,
      tags jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_day date NOT NULL,
      UNIQUE (store_id, pod_uid, container, source)
    )`);
    await q.query(`CREATE INDEX log_streams_pod ON log_streams (namespace, pod, container)`);
    await q.query(`CREATE SEQUENCE log_records_seq`);
    await q.query(`CREATE TABLE log_records (
      store_id integer NOT NULL,
      stream_id integer NOT NULL,
      id uuid NOT NULL,
      time timestamptz NOT NULL,
      time_nanos smallint NOT NULL DEFAULT 0,
      seq bigint NOT NULL DEFAULT nextval('log_records_seq'),
      piece_index integer,
      piece_last boolean,
      line text NOT NULL
    ) PARTITION BY RANGE (time)`);
    // Deduplication by record id (a partitioned table's unique key holds the partition key), and a stream's records
    // in time order (kubectl logs, field filters).
    await q.query(`CREATE UNIQUE INDEX log_records_stream_time_id ON log_records (stream_id, time, id)`);
    // A store's records in a time window, newest or oldest first, and the cursor's (time, seq) key.
    await q.query(`CREATE INDEX log_records_store_time ON log_records (store_id, time, seq)`);
    // Keyword and phrase search (ILIKE '%…%').
    await q.query(`CREATE INDEX log_records_line_trgm ON log_records USING gin (line gin_trgm_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE log_records`);
    await q.query(`DROP SEQUENCE log_records_seq`);
    await q.query(`DROP TABLE log_streams`);
    await q.query(`DROP TABLE log_store_tombstones`);
    await q.query(`DROP TABLE log_stores`);
  }
}
