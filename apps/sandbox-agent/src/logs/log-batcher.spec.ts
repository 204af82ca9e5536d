import { LogBatch, LogRecord } from '@skiff/messaging';
import { FakeClock } from '@skiff/testing';
import { LogBatcher, SealedBatch } from './log-batcher';
import { target } from './log-source.fixture';
import { TrackedFile } from './pod-log-state';

const record = (id: string, line = 'x', logstore = 'app'): LogRecord => ({
  id,
  time: '2026-01-02T03:04:05.000000000Z',
  namespace: 'shop',
  pod: 'web',
  podUid: 'u1',
  container: 'main',
  host: 'host-a',
  source: 'stdout',
  logstore,
  tags: {},
  line,
});

describe(LogBatcher.name, () => {
  const clock = new FakeClock();
  let sealed: SealedBatch[];
  const batcher = (limits: Partial<ConstructorParameters<typeof LogBatcher>[1]> = {}) =>
    new LogBatcher('host-a', { records: 3, bytes: 1 << 20, flushMs: 200, maxPayload: 1 << 20, ...limits }, clock, (b) =>
      sealed.push(b),
    );
  const file1 = new TrackedFile('u1', 1, 'cri:main', 11, 0);
  const file2 = new TrackedFile('u1', 2, 'file:main:access', 12, 0);
  const app = target('app');
  const access = target('access');
  const body = (b: SealedBatch) => JSON.parse(b.payload.toString()) as LogBatch;

  beforeEach(() => (sealed = []));

  it('seals a full batch: the LogBatch as JSON, each logstore once, where each file resumes, lines per pod', () => {
    const b = batcher();
    b.add(record('r1'), app.store, file1, 10);
    b.add(record('r2', 'y', 'access'), access.store, file2, 5);
    expect(sealed).toEqual([]);
    b.add(record('r3'), app.store, file1, 20);

    expect(sealed).toHaveLength(1);
    expect(body(sealed[0])).toEqual({
      host: 'host-a',
      stores: [app.store, access.store],
      records: [record('r1'), record('r2', 'y', 'access'), record('r3')],
    });
    expect(sealed[0].meta).toEqual({
      id: expect.stringMatching(/^host-a-[0-9a-f]{32}$/),
      records: 3,
      cursors: [
        { pod: 'u1', serial: 1, offset: 20 },
        { pod: 'u1', serial: 2, offset: 5 },
      ],
      pods: [{ uid: 'u1', namespace: 'shop', name: 'web', lines: 3 }],
    });
  });

  it('seals by estimated size, and by age', () => {
    const b = batcher({ records: 1000, bytes: 1000 });
    b.add(record('r1', 'z'.repeat(700)), app.store, file1, 1);
    expect(sealed).toHaveLength(1);
    b.add(record('r2'), app.store, file1, 2);
    expect(b.dueInMs()).toBe(200);
    clock.advance(150);
    b.sealIfDue();
    expect(sealed).toHaveLength(1);
    clock.advance(50);
    b.sealIfDue();
    expect(sealed).toHaveLength(2);
    expect(b.dueInMs()).toBeUndefined();
  });

  it('names a batch after its records: the same records, the same id', () => {
    const b = batcher({ records: 2 });
    for (const ids of [
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'c'],
    ])
      for (const id of ids) b.add(record(id), app.store, file1, 1);
    expect(sealed[0].meta.id).toBe(sealed[1].meta.id);
    expect(sealed[2].meta.id).not.toBe(sealed[0].meta.id);
  });

  it('cuts a batch over max_payload in two, the second carrying the cursors', () => {
    const b = batcher({ records: 4, maxPayload: 3000 });
    for (let i = 0; i < 4; i++) b.add(record(`r${i}`, '\u0001'.repeat(200)), app.store, file1, i + 1);
    expect(sealed.map((s) => [s.meta.records, s.meta.cursors, s.payload.length < 3000])).toEqual([
      [2, [], true],
      [2, [{ pod: 'u1', serial: 1, offset: 4 }], true],
    ]);
  });
});
