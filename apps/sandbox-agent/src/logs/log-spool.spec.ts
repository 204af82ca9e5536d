import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BatchMeta, SealedBatch } from './log-batcher';
import { LogSpool } from './log-spool';

const batch = (id: string, bytes = 100): SealedBatch => ({
  meta: {
    id,
    records: 1,
    cursors: [{ pod: 'u1', serial: 1, offset: 7 }],
    pods: [{ uid: 'u1', namespace: 'ns', name: 'p', lines: 1 }],
  },
  payload: Buffer.from('x'.repeat(bytes)),
});

describe(LogSpool.name, () => {
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'skiff-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps batches on disk in order, for the next run too', async () => {
    const spool = new LogSpool(dir, 1 << 20);
    await spool.load();
    expect(await spool.append(batch('a'))).toEqual([]);
    await spool.append(batch('b'));
    writeFileSync(path.join(dir, '0000000000000099.batch.tmp'), 'half');

    const next = new LogSpool(dir, 1 << 20);
    expect((await next.load()).map((m: BatchMeta) => m.id)).toEqual(['a', 'b']);
    expect(readdirSync(dir)).toHaveLength(2);
    const oldest = next.oldest()!;
    expect((await next.payload(oldest)).toString()).toBe('x'.repeat(100));
    await next.remove(oldest);
    expect(next.oldest()?.meta.id).toBe('b');
    await next.append(batch('c'));
    expect(readdirSync(dir).sort()).toEqual(['0000000000000002.batch', '0000000000000003.batch']);
  });

  it('drops the oldest batches to stay within its size, but not the one being published', async () => {
    const spool = new LogSpool(dir, 700);
    await spool.load();
    for (const id of ['a', 'b', 'c']) await spool.append(batch(id));
    spool.pin(spool.oldest());
    const dropped = await spool.append(batch('d', 200));
    expect(dropped.map((m) => m.id)).toEqual(['b', 'c']);
    expect(spool.bytes).toBeLessThanOrEqual(700);
    expect(spool.length).toBe(2);
    expect((await spool.append(batch('huge', 1000))).map((m) => m.id)).toEqual(['huge']);
  });
});
