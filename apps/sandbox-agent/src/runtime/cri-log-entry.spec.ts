import { rfc3339OfCriTime, scanCriEntry } from './cri-log-entry';

describe('CRI log entries', () => {
  const scan = (line: string) => {
    const buf = Buffer.from(`xx${line}`);
    const e = scanCriEntry(buf, 2, buf.length);
    return (
      e && { ...e, time: buf.toString('latin1', e.timeStart, e.timeEnd), content: buf.toString('utf8', e.contentStart) }
    );
  };

  it('finds the time, stream, tag and content of an entry without copying it', () => {
    expect(scan('2026-01-02T03:04:05.123456789+00:00 stdout F hello world')).toMatchObject({
      time: '2026-01-02T03:04:05.123456789+00:00',
      stream: 'stdout',
      partial: false,
      content: 'hello world',
    });
    expect(scan('2026-01-02T03:04:05Z stderr P  two spaces')).toMatchObject({
      stream: 'stderr',
      partial: true,
      content: ' two spaces',
    });
    expect(scan('2026-01-02T03:04:05Z stdout F')).toMatchObject({ content: '' });
  });

  it('refuses what is not an entry', () => {
    for (const bad of ['garbage', '2026 stdin F x', '2026 stdout X x', '2026 stdout Fx', ' stdout F x', '2026 stdou'])
      expect(scan(bad)).toBeUndefined();
  });

  it('writes conmon times with Z', () => {
    expect(rfc3339OfCriTime('2026-01-02T03:04:05.1+00:00')).toBe('2026-01-02T03:04:05.1Z');
    expect(rfc3339OfCriTime('2026-01-02T03:04:05.1Z')).toBe('2026-01-02T03:04:05.1Z');
  });
});
