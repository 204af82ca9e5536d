import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CriLogFollower, CriStream, parseEntry } from './cri-log.follower';

describe(CriLogFollower.name, () => {
  let dir: string;
  let file: string;
  let seen: { stream: CriStream; text: string }[];
  let follower: CriLogFollower;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-cri-follow-'));
    file = path.join(dir, '0.log');
    seen = [];
    follower = new CriLogFollower(file, (stream, data) => seen.push({ stream, text: data.toString('latin1') }));
  });

  afterEach(async () => {
    await follower.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recovers the bytes written: partial entries as they are, full ones with their newline', () => {
    expect(parseEntry(Buffer.from('2026-01-01T00:00:00.1+00:00 stdout P / # '))).toEqual({
      stream: 'stdout',
      data: Buffer.from('/ # '),
    });
    expect(parseEntry(Buffer.from('2026-01-01T00:00:00.1+00:00 stderr F oops\r'))).toEqual({
      stream: 'stderr',
      data: Buffer.from('oops\r\n'),
    });
    expect(parseEntry(Buffer.from('2026-01-01T00:00:00.1+00:00 stdout F'))).toEqual({
      stream: 'stdout',
      data: Buffer.from('\n'),
    });
    expect(parseEntry(Buffer.from('garbage'))).toBeUndefined();
  });

  it('starts at the current end and follows what is appended, across a rotation', async () => {
    writeFileSync(file, '2026-01-01T00:00:00.1+00:00 stdout F before attach\n');
    await follower.start();
    appendFileSync(file, '2026-01-01T00:00:01.1+00:00 stdout P / # \n2026-01-01T00:00:01.2+00:00 stderr F e');
    await follower.poll();
    // The second entry is not complete yet: only the first is delivered.
    expect(seen).toEqual([{ stream: 'stdout', text: '/ # ' }]);
    appendFileSync(file, 'rr\n');
    await follower.poll();
    expect(seen.at(-1)).toEqual({ stream: 'stderr', text: 'err\n' });
    // conmon rotates by renaming a new file over the old one.
    writeFileSync(`${file}.new`, '2026-01-01T00:00:02.1+00:00 stdout F after rotation\n');
    renameSync(`${file}.new`, file);
    await follower.poll();
    expect(seen.at(-1)).toEqual({ stream: 'stdout', text: 'after rotation\n' });
    expect(seen.map((s) => s.text).join('')).not.toContain('before attach');
  });
});
