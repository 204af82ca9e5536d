import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { readCriLog } from './cri-log.reader';

async function collect(r: Readable): Promise<string> {
  let s = '';
  for await (const c of r) s += String(c);
  return s;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const file = (lines: string[]): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-log-'));
  dirs.push(dir);
  const p = path.join(dir, '0.log');
  writeFileSync(p, lines.map((l) => `${l}\n`).join(''));
  return p;
};

describe('readCriLog', () => {
  const log = file([
    '2026-01-01T00:00:01.000000000Z stdout F one',
    '2026-01-01T00:00:02.000000000Z stderr P tw',
    '2026-01-01T00:00:02.100000000Z stderr F o',
    '2026-01-01T00:00:03.000000000Z stdout F three',
  ]);

  it('joins partial lines and prints what the container wrote', async () => {
    expect(await collect(readCriLog(log, { follow: false, timestamps: false }, () => false))).toBe('one\ntwo\nthree\n');
  });

  it('applies tail, since, timestamps and the byte limit', async () => {
    expect(await collect(readCriLog(log, { follow: false, timestamps: false, tailLines: 1 }, () => false))).toBe(
      'three\n',
    );
    expect(
      await collect(
        readCriLog(log, { follow: false, timestamps: true, since: new Date('2026-01-01T00:00:02.500Z') }, () => false),
      ),
    ).toBe('2026-01-01T00:00:03.000000000Z three\n');
    expect(await collect(readCriLog(log, { follow: false, timestamps: false, limitBytes: 6 }, () => false))).toBe(
      'one\ntw',
    );
  });

  it("prints conmon's +00:00 timestamps the way kubelet does", async () => {
    const p = file(['2026-01-01T00:00:01.963656263+00:00 stdout F one']);
    expect(await collect(readCriLog(p, { follow: false, timestamps: true }, () => false))).toBe(
      '2026-01-01T00:00:01.963656263Z one\n',
    );
  });

  it('follows new lines until the container stops writing', async () => {
    const p = file(['2026-01-01T00:00:01.000000000Z stdout F first']);
    let running = true;
    const r = readCriLog(p, { follow: true, timestamps: false }, () => running);
    const done = collect(r);
    setTimeout(() => appendFileSync(p, '2026-01-01T00:00:02.000000000Z stdout F second\n'), 100);
    setTimeout(() => (running = false), 600);
    expect(await done).toBe('first\nsecond\n');
  });
});
