import { LogBatch, LogRecord } from '@skiff/messaging';
import { timeOf } from '../store/record-time';
import { MalformedBatchError, parseLogBatch } from './log-batch';
import { logRecordOf } from './log-record.fixture';

const NOW = Date.parse('2025-06-01T12:00:00Z');

const record = (n: number, extra: Partial<LogRecord> = {}) => logRecordOf(n, '2025-06-01T11:59:00.123456789Z', extra);

const encode = (batch: unknown) => Buffer.from(JSON.stringify(batch));

describe('parseLogBatch', () => {
  it('reads records and names every store they use, with the settings given or the defaults', () => {
    const batch: LogBatch = {
      host: 'h1',
      stores: [{ namespace: 'team', name: 'app', ttlDays: 7, shards: 4, mode: 'query', project: 'p' }],
      records: [record(1), record(2, { logstore: 'access' })],
    };
    const parsed = parseLogBatch(encode(batch), NOW);
    expect(parsed.rejected).toBe(0);
    expect(parsed.records.map((r) => [r.store, r.time, r.nanos, r.line])).toEqual([
      ['team/app', '2025-06-01T11:59:00.123456Z', 789, 'line 1'],
      ['team/access', '2025-06-01T11:59:00.123456Z', 789, 'line 2'],
    ]);
    expect([...parsed.stores.values()]).toEqual([
      { namespace: 'team', name: 'app', ttlDays: 7, shards: 4, mode: 'query', project: 'p' },
      { namespace: 'team', name: 'access', ttlDays: 90, shards: 2, mode: 'standard' },
    ]);
  });

  it('brings settings into range', () => {
    const batch = {
      host: 'h',
      stores: [{ namespace: 'team', name: 'app', ttlDays: 99999, shards: 0, mode: 'x' }],
      records: [record(1)],
    };
    expect(parseLogBatch(encode(batch), NOW).stores.get('team/app')).toEqual({
      namespace: 'team',
      name: 'app',
      ttlDays: 3650,
      shards: 1,
      mode: 'standard',
    });
  });

  it('leaves out records that break the contract, keeping the rest', () => {
    const batch = {
      host: 'h',
      stores: [],
      records: [
        record(1),
        record(2, { id: 'nothex' }),
        record(3, { logstore: 'Bad_Name' }),
        record(4, { time: 'yesterday' }),
        record(5, { time: '2025-06-03T12:00:00Z' }),
        record(6, { source: 'stdin' as 'stdout' }),
        'not a record',
      ],
    };
    const parsed = parseLogBatch(encode(batch), NOW);
    expect(parsed.records.map((r) => r.line)).toEqual(['line 1']);
    expect(parsed.rejected).toBe(6);
    expect(parsed.reasons[0]).toBe('record id "nothex" is not 32 hex digits');
    expect(parsed.reasons).toHaveLength(5);
  });

  it('escapes NUL characters, which Postgres cannot hold', () => {
    const parsed = parseLogBatch(encode({ records: [record(1, { line: 'a\u0000b', tags: { 'k\u0000': 'v' } })] }), NOW);
    expect(parsed.records[0].line).toBe('a\\x00b');
    expect(parsed.records[0].tags).toEqual({ 'k\\x00': 'v' });
  });

  it('throws on what is not a batch', () => {
    expect(() => parseLogBatch(Buffer.from('{not json'), NOW)).toThrow(MalformedBatchError);
    expect(() => parseLogBatch(encode({ host: 'h' }), NOW)).toThrow('not a log batch (no records array)');
    expect(() => parseLogBatch(encode([1, 2]), NOW)).toThrow(MalformedBatchError);
  });
});

describe('timeOf', () => {
  it('keeps microseconds for Postgres and the nanoseconds beside, in UTC', () => {
    expect(timeOf('2025-06-01T14:00:00.000001999+02:00')).toEqual({
      time: '2025-06-01T12:00:00.000001Z',
      timeMs: Date.parse('2025-06-01T12:00:00Z'),
      nanos: 999,
    });
    expect(timeOf('2025-06-01T12:00:00Z')?.time).toBe('2025-06-01T12:00:00.000000Z');
    expect(timeOf('2025-06-01 12:00:00')).toBeUndefined();
  });
});
