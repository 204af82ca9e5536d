import { FakeClock } from '@skiff/testing';
import { DataSource } from 'typeorm';
import { DAY_MS, dayOf, LogPartitions, partitionName } from './log-partitions';
import { LogRecordWriter } from './log-record.writer';
import { LogRetention } from './log-retention';
import { ingestRecord, storeSettings, testDatabase } from './log-store.fixture';
import { PostgresLogStoresRepository } from './log-stores.repository';

// The store against a real Postgres database of its own: writes, deduplication, partitions, retention, deletion.
describe('log store (Postgres)', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let ds: DataSource;
  let clock: FakeClock;
  let partitions: LogPartitions;
  let writer: LogRecordWriter;
  let stores: PostgresLogStoresRepository;
  const now = Date.now();

  const count = async (sql = 'SELECT count(*)::int AS n FROM log_records', params: unknown[] = []) =>
    ((await ds.query(sql, params)) as { n: number }[])[0].n;

  beforeAll(async () => {
    db = await testDatabase('logstore');
    ds = db.ds;
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE log_stores, log_streams, log_records, log_store_tombstones');
    clock = new FakeClock(now);
    partitions = new LogPartitions(ds);
    writer = new LogRecordWriter(ds, partitions, clock);
    stores = new PostgresLogStoresRepository(ds);
  });

  it('makes the stores a batch names, once, keeping the first settings, and drops records it already has', async () => {
    const records = Array.from({ length: 500 }, (_, i) => ingestRecord(i, now - 1000 + i));
    const first = await writer.write([storeSettings('app', { ttlDays: 7, shards: 3, mode: 'query' })], records);
    expect(first).toMatchObject({ inserted: 500, duplicates: 0, expired: 0 });
    expect(first.created.map((s) => [s.name, s.ttlDays, s.shards, s.mode])).toEqual([['app', 7, 3, 'query']]);

    // The same batch again (a redelivery), with other settings: nothing new, settings as they were.
    const again = await writer.write([storeSettings('app', { ttlDays: 1 })], [...records, ingestRecord(500, now)]);
    expect(again).toMatchObject({ inserted: 1, duplicates: 500, created: [] });
    expect((await stores.find('team', 'app'))?.ttlDays).toBe(7);
    expect(await count()).toBe(501);
    expect(await count('SELECT count(*)::int AS n FROM log_streams')).toBe(1);
  });

  it('keeps a line sent to two stores in both', async () => {
    const line = ingestRecord(1, now);
    await writer.write([storeSettings('app'), storeSettings('copy')], [line, { ...line, store: 'team/copy' }]);
    expect(await count()).toBe(2);
  });

  it("skips records past their store's TTL and makes partitions for older days on demand", async () => {
    await writer.write([storeSettings('app', { ttlDays: 3 })], [ingestRecord(0, now)]);
    const outcome = await writer.write(
      [storeSettings('app')],
      [ingestRecord(1, now - 2 * DAY_MS), ingestRecord(2, now - 5 * DAY_MS)],
    );
    expect(outcome).toMatchObject({ inserted: 1, expired: 1 });
    expect(await partitions.days()).toContain(dayOf(now - 2 * DAY_MS));
    expect(await partitions.days()).not.toContain(dayOf(now - 5 * DAY_MS));
  });

  it('writes again after retention dropped a partition it had seen', async () => {
    await writer.write([storeSettings('app')], [ingestRecord(0, now - 2 * DAY_MS)]);
    await new LogPartitions(ds).drop(dayOf(now - 2 * DAY_MS));
    expect(await writer.write([storeSettings('app')], [ingestRecord(1, now - 2 * DAY_MS)])).toMatchObject({
      inserted: 1,
    });
  });

  it('drops the days every TTL has passed and deletes the older records of shorter-TTL stores', async () => {
    // A fixed noon, so that record ages fall on known days.
    const noon = Date.UTC(2025, 5, 10, 12);
    clock.ms = noon;
    const at = (days: number) => noon - days * DAY_MS;
    await writer.write(
      [storeSettings('short', { ttlDays: 2 }), storeSettings('long', { ttlDays: 5 })],
      [
        ...[0.1, 1.1].map((d, i) => ingestRecord(i, at(d), { store: 'team/short' })),
        ...[0.1, 1.1, 3.1, 4.1].map((d, i) => ingestRecord(i, at(d), { store: 'team/long', podUid: 'uid-2' })),
      ],
    );
    const retention = new LogRetention(ds, partitions);
    expect(await retention.run(noon)).toEqual({ droppedDays: [], deletedRecords: 0, deletedStreams: 0 });

    // A day and a half later: June 6 is past every TTL and goes whole; short's record of June 9 is past its 2 days.
    clock.advance(1.5 * DAY_MS);
    const outcome = await retention.run(clock.nowMs());
    expect(outcome.droppedDays).toEqual([dayOf(at(4.1))]);
    expect(outcome.deletedRecords).toBe(1);
    const left = (await ds.query(
      `SELECT st.name, to_char(r.time, 'MM-DD') AS day FROM log_records r JOIN log_stores st ON st.id = r.store_id
       ORDER BY 1, 2`,
    )) as { name: string; day: string }[];
    expect(left.map((r) => `${r.name} ${r.day}`)).toEqual(['long 06-07', 'long 06-09', 'long 06-10', 'short 06-10']);
    // Partitions are made ahead: today and the two days after.
    const names = (await partitions.days()).map(partitionName);
    expect(names).toEqual(
      expect.arrayContaining(['log_records_20250612', 'log_records_20250613', 'log_records_20250614']),
    );
    expect(names).not.toContain('log_records_20250606');
  });

  it('deletes idle streams with their store gone quiet past its TTL', async () => {
    await writer.write([storeSettings('app', { ttlDays: 1 })], [ingestRecord(0, now)]);
    clock.advance(3 * DAY_MS);
    const outcome = await new LogRetention(ds, partitions).run(clock.nowMs());
    expect(outcome.deletedStreams).toBe(1);
  });

  it('deletes a store with its streams and records', async () => {
    await writer.write(
      [storeSettings('app'), storeSettings('other')],
      [ingestRecord(0, now), ingestRecord(0, now, { store: 'team/other' })],
    );
    expect(await stores.delete('team', 'app')).toBe(true);
    expect(await stores.delete('team', 'app')).toBe(false);
    expect(await count()).toBe(1);
    expect((await stores.list()).map((s) => s.name)).toEqual(['other']);
    expect(await count('SELECT count(*)::int AS n FROM log_store_tombstones')).toBe(0);
  });

  it("finishes deleting a deleted store's records that a dead replica left", async () => {
    await writer.write([storeSettings('app')], [ingestRecord(0, now), ingestRecord(1, now - DAY_MS)]);
    // What a replica that died after deleting the store's row leaves behind.
    await ds.query(
      `WITH gone AS (DELETE FROM log_stores WHERE name = 'app' RETURNING id)
       INSERT INTO log_store_tombstones (store_id) SELECT id FROM gone`,
    );
    expect(await count()).toBe(2);
    await new LogRetention(ds, partitions).run(now);
    expect(await count()).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM log_store_tombstones')).toBe(0);
  });
});
