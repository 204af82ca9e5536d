import { Clock } from '@skiff/api-machinery';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BatchMeta, SealedBatch } from './log-batcher';
import { LogBatchPublisher } from './log-batch.publisher';
import { LogShipper } from './log-shipper';
import { LogSpool } from './log-spool';

/** JetStream as the shipper sees it: up or not. */
class FlakyPublisher implements LogBatchPublisher {
  up = true;
  readonly published: string[] = [];
  streams = 0;

  async ensureStream(): Promise<void> {
    if (!this.up) throw new Error('503 no responders');
    this.streams++;
  }

  async publish(id: string): Promise<void> {
    if (!this.up) throw new Error('TIMEOUT');
    this.published.push(id);
  }

  maxPayload(): number {
    return 1 << 20;
  }
}

const batch = (id: string): SealedBatch => ({
  meta: { id, records: 2, cursors: [], pods: [{ uid: 'u1', namespace: 'ns', name: 'p', lines: 2 }] },
  payload: Buffer.from(`{"id":"${id}"}`.padEnd(200)),
});

const eventually = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe(LogShipper.name, () => {
  let dir: string;
  let publisher: FlakyPublisher;
  let delivered: string[];
  let dropped: BatchMeta[];
  const shippers: LogShipper[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-shipper-'));
    publisher = new FlakyPublisher();
    delivered = [];
    dropped = [];
  });

  afterEach(async () => {
    for (const s of shippers.splice(0)) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const shipper = async (spoolBytes = 1 << 20) => {
    const spool = new LogSpool(dir, spoolBytes);
    await spool.load();
    const s = new LogShipper(
      publisher,
      spool,
      { delivered: (m) => delivered.push(m.id), dropped: (ms) => dropped.push(...ms) },
      new Clock(),
      { retryMinMs: 5, retryMaxMs: 20 },
    );
    shippers.push(s);
    s.start();
    return s;
  };

  it('publishes batches in order, creating the stream first', async () => {
    const s = await shipper();
    for (const id of ['a', 'b', 'c']) s.submit(batch(id));
    await s.settled();
    expect(publisher.published).toEqual(['a', 'b', 'c']);
    expect(delivered).toEqual(['a', 'b', 'c']);
    expect(publisher.streams).toBe(1);
  });

  it('spools batches while JetStream is away and sends them, in order, before newer ones once it is back', async () => {
    publisher.up = false;
    const s = await shipper();
    for (const id of ['a', 'b', 'c']) s.submit(batch(id));
    await s.settled();
    expect(s.unreachable).toBe(true);
    expect(s.backlog).toBe(0);
    expect(readdirSync(dir)).toHaveLength(3);

    publisher.up = true;
    s.submit(batch('d'));
    await eventually(() => delivered.length === 4);
    expect(publisher.published).toEqual(['a', 'b', 'c', 'd']);
    expect(readdirSync(dir)).toEqual([]);
    expect(s.unreachable).toBe(false);
  });

  it('drops the oldest batches when the spool is full and says which', async () => {
    publisher.up = false;
    const s = await shipper(1000);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) s.submit(batch(id));
    await s.settled();
    expect(dropped.map((m) => m.id)).toEqual(expect.arrayContaining(['b', 'c']));
    publisher.up = true;
    // The spool file goes before the delivery is reported: wait for both.
    await eventually(() => readdirSync(dir).length === 0 && delivered.length + dropped.length >= 6);
    expect([...delivered, ...dropped.map((m) => m.id)].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(delivered.slice(-2)).toEqual(['e', 'f']);
  });

  it('sends what an earlier run spooled', async () => {
    publisher.up = false;
    const first = await shipper();
    first.submit(batch('a'));
    await first.settled();
    await first.stop();

    publisher.up = true;
    await shipper();
    await eventually(() => delivered.length === 1);
    expect(publisher.published).toEqual(['a']);
  });
});
