import { LogSvcConfig } from '@skiff/config';
import { LogRecord } from '@skiff/messaging';
import { eventually, FakeClock } from '@skiff/testing';
import { DataSource } from 'typeorm';
import { IngestRecord } from '../store/ingest-record';
import { LogPartitions } from '../store/log-partitions';
import { LogRecordWriter } from '../store/log-record.writer';
import { ingestRecord, storeSettings, testDatabase } from '../store/log-store.fixture';
import { PostgresLogStoresRepository } from '../store/log-stores.repository';
import { LogQueryError } from './log-query.error';
import { LogQueryResult, LogQueryService } from './log-query.service';
import { LogRecordReader } from './log-record.reader';
import { LogTailService } from './log-tail.service';
import { PodLogOptions, PodLogService } from './pod-log.service';
import { parseQueryParams } from './query-params';

// Queries against a real Postgres database of their own, records written by the store's writer.
describe('log queries (Postgres)', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let ds: DataSource;
  let writer: LogRecordWriter;
  let queries: LogQueryService;
  let tails: LogTailService;
  let podLogs: PodLogService;
  const now = Date.now();
  const clock = new FakeClock(now);
  const t0 = now - 10 * 60_000;

  // The app store's corpus: 300 lines a second apart from t0, a few of them special.
  const special: Record<number, Partial<IngestRecord>> = {
    10: { line: 'ERROR connection refused by db-1' },
    20: { line: 'error: Connection Refused' },
    30: { line: 'WARN disk 90% full', container: 'sidecar' },
    40: { line: 'ERROR timeout talking to db-2', tags: { env: 'prod' } },
    50: { line: 'refused connection (not the phrase)' },
    60: { line: 'ERROR boom', pod: 'api-1', podUid: 'uid-api-1', tags: { env: 'dev' } },
  };
  const corpus = Array.from({ length: 300 }, (_, i) =>
    ingestRecord(i, t0 + i * 1000, { tags: { env: 'prod' }, ...special[i] }),
  );

  const params = (q: Record<string, string>) => parseQueryParams(q, now);
  const run = (q: Record<string, string>, store = 'app') => queries.query('team', store, params(q));
  const lines = (r: LogQueryResult) => r.items.map((i) => i.line);
  const window = { from: new Date(t0 - 1000).toISOString(), to: new Date(now).toISOString() };

  beforeAll(async () => {
    db = await testDatabase('logquery');
    ds = db.ds;
    const stores = new PostgresLogStoresRepository(ds);
    writer = new LogRecordWriter(ds, new LogPartitions(ds), clock);
    const reader = new LogRecordReader(ds);
    queries = new LogQueryService(stores, reader, clock);
    tails = new LogTailService({ databaseUrl: db.url } as LogSvcConfig, reader);
    podLogs = new PodLogService(reader);
    await writer.write([storeSettings('app')], corpus);
  }, 60_000);

  afterAll(async () => {
    await tails?.onApplicationShutdown();
    await db?.drop();
  });

  it('finds keywords and phrases anywhere in the line, ignoring case', async () => {
    expect(lines(await run({ ...window, query: 'refused' }))).toEqual([
      'refused connection (not the phrase)',
      'error: Connection Refused',
      'ERROR connection refused by db-1',
    ]);
    expect(lines(await run({ ...window, query: '"connection refused"' }))).toEqual([
      'error: Connection Refused',
      'ERROR connection refused by db-1',
    ]);
    expect(lines(await run({ ...window, query: '90%' }))).toEqual(['WARN disk 90% full']);
  });

  it('combines terms with AND, OR, NOT and parentheses', async () => {
    expect(lines(await run({ ...window, query: 'error db' }))).toEqual([
      'ERROR timeout talking to db-2',
      'ERROR connection refused by db-1',
    ]);
    expect(lines(await run({ ...window, query: 'boom OR disk' }))).toEqual(['ERROR boom', 'WARN disk 90% full']);
    expect(lines(await run({ ...window, query: 'error AND NOT (db-1 OR db-2)' }))).toEqual([
      'ERROR boom',
      'error: Connection Refused',
    ]);
  });

  it('filters by field and tag', async () => {
    expect(lines(await run({ ...window, query: 'pod:api-*' }))).toEqual(['ERROR boom']);
    expect(lines(await run({ ...window, query: 'container:sidecar' }))).toEqual(['WARN disk 90% full']);
    expect(lines(await run({ ...window, query: 'error tags.env:prod' }))).toEqual([
      'ERROR timeout talking to db-2',
      'error: Connection Refused',
      'ERROR connection refused by db-1',
    ]);
    expect(lines(await run({ ...window, query: 'NOT tags.env:prod' }))).toEqual(['ERROR boom']);
    expect(lines(await run({ ...window, query: 'source:stdout namespace:team "boom"' }))).toEqual(['ERROR boom']);
  });

  it('answers records as agents sent them, newest first by default, oldest first when asked', async () => {
    const newest = await run({ ...window, limit: '2' });
    expect(lines(newest)).toEqual(['line 299', 'line 298']);
    const [r] = (await run({ ...window, query: '"ERROR boom"' })).items;
    expect(r).toEqual<LogRecord>({
      id: corpus[60].id,
      time: `${new Date(t0 + 60_000).toISOString().slice(0, 23)}000000Z`,
      namespace: 'team',
      pod: 'api-1',
      podUid: 'uid-api-1',
      container: 'app',
      host: 'h1',
      source: 'stdout',
      logstore: 'app',
      tags: { env: 'dev' },
      line: 'ERROR boom',
    });
    expect(lines(await run({ ...window, order: 'asc', limit: '2' }))).toEqual(['line 0', 'line 1']);
  });

  it('pages with a cursor through every record once, while records keep coming', async () => {
    const seen: string[] = [];
    let page = await run({ ...window, query: 'line', limit: '70' });
    let extra = 1000;
    for (;;) {
      seen.push(...lines(page));
      // New records before and inside the window arrive between pages; the pages never show them twice or skip one.
      await writer.write([storeSettings('app')], [ingestRecord(extra++, now - 500), ingestRecord(extra++, t0 + 5500)]);
      if (!page.cursor) break;
      page = await queries.query('team', 'app', params({ query: 'line', limit: '70', cursor: page.cursor }));
    }
    const expected = corpus.filter((r) => r.line.startsWith('line')).map((r) => r.line);
    expect(seen.filter((l) => !/line 1\d{3}/.test(l)).sort()).toEqual([...expected].sort());
    expect(new Set(seen).size).toBe(seen.length);
    await expect(
      queries.query('team', 'app', params({ query: 'other', cursor: page.cursor ?? 'x' })),
    ).rejects.toBeInstanceOf(LogQueryError);
  });

  it('counts matches per bucket over the window', async () => {
    const from = new Date(t0).toISOString();
    const to = new Date(t0 + 300_000).toISOString();
    const h = (await run({ from, to, query: 'ERROR', histogram: '60' })).histogram!;
    // Minute buckets aligned to the epoch: 5 or 6 of them over 5 minutes, the errors at seconds 10, 20, 40 and 60.
    expect(h.length).toBeGreaterThanOrEqual(5);
    expect(h.reduce((n, b) => n + b.count, 0)).toBe(4);
    for (let i = 1; i < h.length; i++) expect(h[i].from).toBe(h[i - 1].to);
    expect(h[0].from).toBe(`${from.slice(0, 23)}000Z`);
    expect(h[h.length - 1].to).toBe(`${to.slice(0, 23)}000Z`);
    await expect(run({ from: new Date(now - 7_200_000).toISOString(), histogram: '1' })).rejects.toThrow(
      /^histogram: 720\d buckets of 1s; at most 1000$/,
    );
  });

  it("never shows records past the store's TTL, and says which store is missing", async () => {
    await writer.write(
      [storeSettings('short', { ttlDays: 1 })],
      [ingestRecord(0, now - 1000, { store: 'team/short' })],
    );
    await ds.query(`UPDATE log_stores SET ttl_days = 1 WHERE name = 'short'`);
    clock.advance(2 * 86_400_000);
    try {
      expect((await queries.query('team', 'short', parseQueryParams({ from: '0' }, clock.nowMs()))).items).toEqual([]);
    } finally {
      clock.ms = now;
    }
    await expect(run({}, 'nope')).rejects.toMatchObject({
      code: 'not-found',
      message: 'logstores.logs.skiff.io "nope" not found',
    });
  });

  it('follows new matching records as they are committed', async () => {
    const store = await queries.store('team', 'app');
    const got: LogRecord[] = [];
    const stop = new AbortController();
    let started!: () => void;
    const listening = new Promise<void>((r) => (started = r));
    const following = tails.follow(store, params({ query: 'tail-me' }).node, stop.signal, {
      started,
      deliver: (r) => got.push(...r),
    });
    await listening;
    await writer.write(
      [storeSettings('app')],
      [ingestRecord(2000, now, { line: 'tail-me 1' }), ingestRecord(2001, now, { line: 'not me' })],
    );
    await writer.write([storeSettings('app')], [ingestRecord(2002, now, { line: 'tail-me 2' })]);
    // A redelivered batch is not news.
    await writer.write([storeSettings('app')], [ingestRecord(2002, now, { line: 'tail-me 2' })]);
    const news = () => got.map((r) => r.line);
    await eventually(async () => news().length >= 2, 10_000, 'the tail');
    stop.abort();
    await following;
    expect(news()).toEqual(['tail-me 1', 'tail-me 2']);
  });

  describe('logs of a pod that is gone', () => {
    const text = async (pod: string, opts: Partial<PodLogOptions> = {}) => {
      let out = '';
      for await (const chunk of await podLogs.open('team', pod, { timestamps: false, previous: false, ...opts }))
        out += chunk;
      return out;
    };

    beforeAll(async () => {
      const at = now - 60_000;
      await writer.write(
        [storeSettings('gone'), storeSettings('gone-copy')],
        [
          ingestRecord(1, at, { store: 'team/gone', pod: 'job-1', podUid: 'uid-job', line: 'out 1', nanos: 5 }),
          ingestRecord(2, at + 1, {
            store: 'team/gone',
            pod: 'job-1',
            podUid: 'uid-job',
            line: 'err 2',
            source: 'stderr',
          }),
          ingestRecord(3, at + 2, { store: 'team/gone', pod: 'job-1', podUid: 'uid-job', line: 'out 3' }),
          // The same line collected into a second store is shown once.
          ingestRecord(3, at + 2, { store: 'team/gone-copy', pod: 'job-1', podUid: 'uid-job', line: 'out 3' }),
          ingestRecord(4, at + 3, {
            store: 'team/gone',
            pod: 'job-1',
            podUid: 'uid-job',
            line: 'a long line',
            piece: { index: 0, last: false },
          }),
          ingestRecord(5, at + 3, {
            store: 'team/gone',
            pod: 'job-1',
            podUid: 'uid-job',
            line: ', continued',
            piece: { index: 1, last: true },
          }),
          ingestRecord(6, at, { store: 'team/gone', pod: 'two-1', podUid: 'uid-two', container: 'a' }),
          ingestRecord(7, at, { store: 'team/gone', pod: 'two-1', podUid: 'uid-two', container: 'b' }),
        ],
      );
    });

    it('interleaves stdout and stderr in time order, joining split lines', async () => {
      expect(await text('job-1')).toBe('out 1\nerr 2\nout 3\na long line, continued\n');
    });

    it('takes tailLines, timestamps, sinceTime and limitBytes as kubelet does', async () => {
      // The pieces of a split line count as lines, as kubelet counts the partial entries of a CRI log.
      expect(await text('job-1', { tailLines: 3 })).toBe('out 3\na long line, continued\n');
      expect((await text('job-1', { timestamps: true })).split('\n')[0]).toBe(
        `${new Date(now - 60_000).toISOString().slice(0, 23)}000005Z out 1`,
      );
      expect(await text('job-1', { since: new Date(now - 60_000 + 2).toISOString() })).toBe(
        'out 3\na long line, continued\n',
      );
      expect(await text('job-1', { limitBytes: 8 })).toBe('out 1\ner');
    });

    it('asks for a container when the pod had several, and knows nothing of other pods', async () => {
      await expect(text('two-1')).rejects.toThrow(
        'a container name must be specified for pod two-1, choose one of: [a b]',
      );
      expect(await text('two-1', { container: 'b' })).toBe('line 7\n');
      await expect(text('two-1', { container: 'c' })).rejects.toThrow('container c is not valid for pod two-1');
      await expect(text('job-1', { previous: true })).rejects.toThrow(
        'previous terminated container "app" in pod "job-1" not found',
      );
      await expect(text('never')).rejects.toMatchObject({ code: 'not-found', message: 'pods "never" not found' });
    });

    it("knows the last pod's uid and containers, to stand in for it", async () => {
      expect(await podLogs.gonePod('team', 'two-1')).toEqual({
        uid: 'uid-two',
        containers: ['a', 'b'],
        firstSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      await expect(podLogs.gonePod('team', 'never')).rejects.toMatchObject({ code: 'not-found' });
    });
  });
});
