import { FakeClock } from '@skiff/testing';
import { logRecordId } from '@skiff/messaging';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CriLogSource } from './cri-log.source';
import { POD, readAll, RecordingSink, sourceContext, target } from './log-source.fixture';

const T = '2026-01-02T03:04:05.123456789+00:00';
const entry = (stream: string, tag: 'P' | 'F', text: string) => `${T} ${stream} ${tag} ${text}\n`;

describe(CriLogSource.name, () => {
  let dir: string;
  let clock: FakeClock;
  let sink: RecordingSink;
  const sources: CriLogSource[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-cri-source-'));
    clock = new FakeClock();
    sink = new RecordingSink();
  });

  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const source = (ctx = sourceContext(clock, sink), targets = [target('app', { team: 'shop' })]) => {
    const s = new CriLogSource(ctx, 'main', dir, targets);
    sources.push(s);
    return s;
  };
  const later = () => clock.advance(1_000);

  it('makes a record of each line, partial entries joined per stream, with its time, stream and the pod', async () => {
    writeFileSync(
      path.join(dir, '0.log'),
      entry('stdout', 'P', 'hel') +
        entry('stderr', 'F', 'oops') +
        entry('stdout', 'P', 'lo ') +
        entry('stdout', 'F', 'world') +
        entry('stdout', 'F', ''),
    );
    await readAll(source());

    expect(sink.records.map((r) => [r.source, r.line])).toEqual([
      ['stderr', 'oops'],
      ['stdout', 'hello world'],
      ['stdout', ''],
    ]);
    expect(sink.records[1]).toEqual({
      id: logRecordId(POD.uid, 'main', 'stdout', 'app/1:0'),
      time: '2026-01-02T03:04:05.123456789Z',
      namespace: 'shop',
      pod: 'web',
      podUid: POD.uid,
      container: 'main',
      host: 'host-a',
      source: 'stdout',
      logstore: 'app',
      tags: { team: 'shop' },
      line: 'hello world',
    });
    // The stderr line is delivered, but the stdout line it interrupts starts before it: resume there.
    expect(sink.resumes[0]).toEqual({ serial: 1, offset: 0 });
  });

  it('makes one record per logstore that asks for stdout', async () => {
    writeFileSync(path.join(dir, '0.log'), entry('stdout', 'F', 'x'));
    await readAll(source(undefined, [target('a'), target('b')]));
    expect(sink.records.map((r) => r.logstore)).toEqual(['a', 'b']);
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(2);
  });

  it("reads each instance's file in turn, ending a partial line the instance left", async () => {
    writeFileSync(path.join(dir, '0.log'), entry('stdout', 'F', 'first run') + entry('stdout', 'P', 'no newline'));
    const s = source();
    await readAll(s);
    expect(sink.lines()).toEqual(['first run']);

    writeFileSync(path.join(dir, '1.log'), entry('stdout', 'F', 'second run'));
    later();
    await readAll(s);

    expect(sink.lines()).toEqual(['first run', 'no newline', 'second run']);
  });

  it("follows conmon's rotation: the old file to its end, then the fresh one, with ids of their own", async () => {
    const file = path.join(dir, '0.log');
    writeFileSync(file, entry('stdout', 'F', 'a1'));
    const s = source();
    await readAll(s);
    appendFileSync(file, entry('stdout', 'F', 'a2'));
    writeFileSync(`${file}.tmp`, entry('stdout', 'F', 'b1'));
    renameSync(`${file}.tmp`, file);
    later();
    await readAll(s);
    appendFileSync(file, entry('stdout', 'F', 'b2'));
    await readAll(s);

    expect(sink.lines()).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(4);
    // a1 and b1 both start at offset 0, of files with serials 1 and 2.
    expect(sink.records[2].id).toBe(logRecordId(POD.uid, 'main', 'stdout', 'app/2:0'));
  });

  it('splits a line over 16 KiB into marked pieces of one time', async () => {
    const chunk = 'x'.repeat(8 * 1024);
    writeFileSync(
      path.join(dir, '0.log'),
      entry('stdout', 'P', chunk) +
        entry('stdout', 'P', chunk) +
        entry('stdout', 'P', chunk) +
        entry('stdout', 'F', 'end'),
    );
    await readAll(source(sourceContext(clock, sink, undefined, 4096 * 8)));

    expect(sink.records.map((r) => [r.line.length, r.piece])).toEqual([
      [16 * 1024, { index: 0, last: false }],
      [8 * 1024 + 3, { index: 1, last: true }],
    ]);
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(2);
  });

  it('reads entries across small reads', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    writeFileSync(path.join(dir, '0.log'), lines.map((l) => entry('stdout', 'F', l)).join(''));
    await readAll(source(sourceContext(clock, sink, undefined, 100)));
    expect(sink.lines()).toEqual(lines);
  });

  it('resumes after a restart where delivery stopped, giving lines read again the same ids', async () => {
    const file = path.join(dir, '0.log');
    writeFileSync(file, ['a', 'b', 'c'].map((l) => entry('stdout', 'F', l)).join(''));
    writeFileSync(path.join(dir, '1.log'), entry('stdout', 'F', 'd'));
    const first = sourceContext(clock, sink);
    const s = source(first);
    await readAll(s);
    later();
    await readAll(s);
    expect(sink.lines()).toEqual(['a', 'b', 'c', 'd']);
    sink.ackFirst(first.state, 2); // a and b delivered
    const saved = first.state.snapshot();

    const again = new RecordingSink();
    await readAll(source(sourceContext(clock, again, saved)));
    later();
    await readAll(sources[1]);

    expect(again.lines()).toEqual(['c', 'd']);
    expect(again.records.map((r) => r.id)).toEqual(sink.records.slice(2).map((r) => r.id));
  });
});
