import { LogQueryError } from './log-query.error';
import { decodeCursor, encodeCursor } from './query-cursor';
import { parsePodLogParams, parseQueryParams } from './query-params';
import { rfc3339Nano } from './pod-log.service';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function invalid(q: Record<string, unknown>): string {
  try {
    parseQueryParams(q, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(LogQueryError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('parseQueryParams', () => {
  it('defaults to the last 15 minutes, newest first, 100 records', () => {
    expect(parseQueryParams({}, NOW)).toEqual({
      query: '',
      window: { from: '2025-06-01T11:45:00.000000Z', to: '2025-06-01T12:00:00.000000Z' },
      order: 'desc',
      limit: 100,
      follow: false,
    });
  });

  it('takes RFC 3339 (any zone, to the nanosecond) and unix seconds', () => {
    const p = parseQueryParams(
      { from: '2025-06-01T12:30:00.123456789+02:00', to: '1748779200.5', query: 'x', order: 'asc', limit: '1000' },
      NOW,
    );
    expect(p.window).toEqual({ from: '2025-06-01T10:30:00.123456Z', to: '2025-06-01T12:00:00.500000Z' });
    expect(p).toMatchObject({ order: 'asc', limit: 1000, node: { kind: 'text', value: 'x' } });
    expect(parseQueryParams({ histogram: '60', follow: 'true' }, NOW)).toMatchObject({ histogram: 60, follow: true });
  });

  it('refuses what it cannot read, naming the parameter', () => {
    expect(invalid({ from: 'yesterday' })).toBe('from: expected RFC 3339 or unix seconds, got "yesterday"');
    expect(invalid({ from: '1748779200', to: '1748779200' })).toMatch(/^from .* must be before to/);
    expect(invalid({ limit: '1001' })).toBe('limit: must be between 1 and 1000, got 1001');
    expect(invalid({ limit: '-1' })).toBe('limit: expected an integer, got "-1"');
    expect(invalid({ order: 'up' })).toBe('order: must be asc or desc, got "up"');
    expect(invalid({ follow: 'yes' })).toBe('follow: expected true or false, got "yes"');
    expect(invalid({ query: ['a', 'b'] })).toBe('query: given more than once');
    expect(invalid({ query: 'a (' })).toBe('query: expected a term at position 4');
  });

  it('leaves the window to a cursor, which belongs to its query', () => {
    const window = { from: '2025-06-01T11:00:00.000000Z', to: '2025-06-01T12:00:00.000000Z' };
    const cursor = encodeCursor(
      { window, order: 'asc', after: { time: '2025-06-01T11:30:00.000001Z', seq: '7' } },
      'x',
    );
    expect(parseQueryParams({ cursor, query: 'x' }, NOW).window).toBeUndefined();
    expect(decodeCursor(cursor, 'x')).toEqual({
      window,
      order: 'asc',
      after: { time: '2025-06-01T11:30:00.000001Z', seq: '7' },
    });
    expect(() => decodeCursor(cursor, 'y')).toThrow('cursor: it belongs to another query');
    expect(() => decodeCursor('garbage', 'x')).toThrow('cursor: not a cursor this endpoint gave');
  });
});

describe('parsePodLogParams', () => {
  it("reads kubelet's options", () => {
    expect(
      parsePodLogParams({ container: 'app', tailLines: '10', timestamps: 'true', limitBytes: '100' }, NOW),
    ).toEqual({
      container: 'app',
      tailLines: 10,
      timestamps: true,
      limitBytes: 100,
      previous: false,
    });
    expect(parsePodLogParams({ sinceSeconds: '60' }, NOW).since).toBe('2025-06-01T11:59:00.000000Z');
    expect(parsePodLogParams({ sinceTime: '2025-06-01T10:00:00Z' }, NOW).since).toBe('2025-06-01T10:00:00.000000Z');
    expect(() => parsePodLogParams({ sinceTime: 'noon' }, NOW)).toThrow('sinceTime must be RFC 3339, got "noon"');
    expect(() => parsePodLogParams({ tailLines: '-1' }, NOW)).toThrow('tailLines: expected an integer, got "-1"');
  });
});

describe('rfc3339Nano', () => {
  it('drops trailing zeros of the fraction as Go does', () => {
    expect(rfc3339Nano('2025-06-01T10:00:00.123456', 789)).toBe('2025-06-01T10:00:00.123456789Z');
    expect(rfc3339Nano('2025-06-01T10:00:00.100000', 0)).toBe('2025-06-01T10:00:00.1Z');
    expect(rfc3339Nano('2025-06-01T10:00:00.000000', 0)).toBe('2025-06-01T10:00:00Z');
  });
});
