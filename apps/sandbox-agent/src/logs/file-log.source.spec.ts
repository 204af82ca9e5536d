import { FakeClock } from '@skiff/testing';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileLogSource } from './file-log.source';
import { FileLogTarget } from './log-config';
import { readAll, RecordingSink, sourceContext, target } from './log-source.fixture';

describe(FileLogSource.name, () => {
  let root: string;
  let volume: string;
  let logs: string;
  let clock: FakeClock;
  let sink: RecordingSink;
  const sources: FileLogSource[] = [];

  const fileTarget: FileLogTarget = {
    ...target('access'),
    glob: '/var/log/app/*.log',
    containerDir: '/var/log/app',
    volume: 'logs',
    dirInVolume: 'app',
    pattern: '*.log',
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'skiff-file-source-'));
    volume = path.join(root, 'volume');
    logs = path.join(volume, 'app');
    mkdirSync(logs, { recursive: true });
    clock = new FakeClock();
    sink = new RecordingSink();
  });

  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
    rmSync(root, { recursive: true, force: true });
  });

  const source = (ctx = sourceContext(clock, sink)) => {
    const s = new FileLogSource(ctx, 'main', fileTarget, volume);
    sources.push(s);
    return s;
  };
  const later = (ms = 1_000) => clock.advance(ms);
  const write = (name: string, ...lines: string[]) =>
    appendFileSync(path.join(logs, name), lines.map((l) => `${l}\n`).join(''));

  it('reads the files the pattern matches, new ones too, each line with its path in the container and read time', async () => {
    write('a.log', 'a1', 'a2');
    write('other.txt', 'no');
    const s = source();
    await readAll(s);
    write('b.log', 'b1');
    write('a.log', 'a3');
    later();
    await readAll(s);

    expect(sink.records.map((r) => [r.source, r.line])).toEqual([
      ['file:/var/log/app/a.log', 'a1'],
      ['file:/var/log/app/a.log', 'a2'],
      ['file:/var/log/app/a.log', 'a3'],
      ['file:/var/log/app/b.log', 'b1'],
    ]);
    expect(sink.records[0]).toMatchObject({
      time: '2024-03-01T10:00:00.000000000Z',
      logstore: 'access',
      container: 'main',
    });
  });

  it('waits for the newline of a line being written; a final read takes it as it is', async () => {
    appendFileSync(path.join(logs, 'a.log'), 'whole\npart');
    const s = source();
    await readAll(s);
    expect(sink.lines()).toEqual(['whole']);
    appendFileSync(path.join(logs, 'a.log'), 'ial');
    await readAll(s);
    expect(sink.lines()).toEqual(['whole']);
    await readAll(s, true);
    expect(sink.lines()).toEqual(['whole', 'partial']);
  });

  it('follows rotation by rename: the renamed file to its end, the new one from its start, nothing twice', async () => {
    write('a.log', '1', '2');
    const s = source();
    await readAll(s);
    renameSync(path.join(logs, 'a.log'), path.join(logs, 'a.log.1'));
    write('a.log.1', '3'); // the app still writes to the file it has open
    write('a.log', '4');
    later();
    await readAll(s);
    write('a.log.1', '5');
    later(6_000);
    await readAll(s);
    later(6_000);
    await readAll(s);

    expect(sink.lines().sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(5);
    expect(sink.records.filter((r) => r.line === '5')[0].source).toBe('file:/var/log/app/a.log');
  });

  it('follows a pattern that matches the rotated names too, without reading a renamed file again', async () => {
    const wide = { ...fileTarget, pattern: 'a.log*' };
    write('a.log', '1');
    const s = new FileLogSource(sourceContext(clock, sink), 'main', wide, volume);
    sources.push(s);
    await readAll(s);
    renameSync(path.join(logs, 'a.log'), path.join(logs, 'a.log.1'));
    write('a.log', '2');
    later();
    await readAll(s);
    expect(sink.lines()).toEqual(['1', '2']);
  });

  it('follows copytruncate: what is written after the truncation once, with ids of its own', async () => {
    write('a.log', 'one', 'two');
    const s = source();
    await readAll(s);
    copyFileSync(path.join(logs, 'a.log'), path.join(logs, 'a.log.1'));
    truncateSync(path.join(logs, 'a.log'), 0);
    write('a.log', 'three');
    later();
    await readAll(s);

    expect(sink.lines()).toEqual(['one', 'two', 'three']);
    // 'three' starts at offset 0 like 'one' did: a new serial keeps their ids apart.
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(3);
  });

  it('notices a file truncated and written past where it was read', async () => {
    write('a.log', 'aaaa');
    const s = source();
    await readAll(s);
    truncateSync(path.join(logs, 'a.log'), 0);
    write('a.log', 'bbbbbbbbbbbbbbbb', 'cc');
    later();
    await readAll(s);
    expect(sink.lines()).toEqual(['aaaa', 'bbbbbbbbbbbbbbbb', 'cc']);
  });

  it('sends a long line in pieces as it is written', async () => {
    appendFileSync(path.join(logs, 'a.log'), 'y'.repeat(20_000));
    const s = source();
    await readAll(s);
    expect(sink.records.map((r) => r.piece)).toEqual([{ index: 0, last: false }]);
    appendFileSync(path.join(logs, 'a.log'), 'y'.repeat(20_000));
    await readAll(s);
    appendFileSync(path.join(logs, 'a.log'), '\n');
    await readAll(s);
    expect(sink.records.map((r) => [r.line.length, r.piece])).toEqual([
      [16_384, { index: 0, last: false }],
      [16_384, { index: 1, last: false }],
      [7_232, { index: 2, last: true }],
    ]);
  });

  it('escapes invalid UTF-8 instead of failing', async () => {
    appendFileSync(path.join(logs, 'a.log'), Buffer.from([0x6f, 0x6b, 0xff, 0x0a]));
    await readAll(source());
    expect(sink.lines()).toEqual(['ok\\xff']);
  });

  it('follows no link out of the volume, to a file or a directory', async () => {
    const secret = path.join(root, 'secret');
    mkdirSync(secret);
    writeFileSync(path.join(secret, 'x.log'), 'host secret\n');
    symlinkSync(path.join(secret, 'x.log'), path.join(logs, 'link.log'));
    rmSync(logs, { recursive: true });
    symlinkSync(secret, logs);
    await readAll(source());
    rmSync(logs);
    mkdirSync(logs);
    symlinkSync(path.join(secret, 'x.log'), path.join(logs, 'link.log'));
    later();
    await readAll(sources[0]);
    expect(sink.lines()).toEqual([]);
  });

  it('resumes after a restart by inode, reading to its end a file renamed away meanwhile', async () => {
    write('a.log', '1', '2');
    const first = sourceContext(clock, sink);
    await readAll(source(first));
    sink.ackFirst(first.state, 1);
    const saved = first.state.snapshot();
    await sources[0].close();
    renameSync(path.join(logs, 'a.log'), path.join(logs, 'a.log.1'));
    write('a.log.1', '3');
    write('a.log', '4');

    const again = new RecordingSink();
    const s = source(sourceContext(clock, again, saved));
    await readAll(s);
    later(6_000);
    await readAll(s);

    expect(again.lines().sort()).toEqual(['2', '3', '4']);
    expect(again.records.find((r) => r.line === '2')?.id).toBe(sink.records[1].id);
  });

  it('lets go of a deleted file once it is quiet', async () => {
    write('a.log', '1');
    const ctx = sourceContext(clock, sink);
    const s = source(ctx);
    await readAll(s);
    unlinkSync(path.join(logs, 'a.log'));
    later();
    await readAll(s);
    later(6_000);
    await readAll(s);
    expect([...ctx.state.files.values()].map((f) => f.finishedAt)).toEqual([2]);
  });
});
