import { LogRecord, logRecordId } from '@skiff/messaging';

/** Line `n` of the stdout of container app in pod team/web-1, at the time given, as an agent sends it. */
export function logRecordOf(n: number, time: string, extra: Partial<LogRecord> = {}): LogRecord {
  return {
    id: logRecordId('uid-web-1', 'app', 'stdout', `0:${n}`),
    time,
    namespace: 'team',
    pod: 'web-1',
    podUid: 'uid-web-1',
    container: 'app',
    host: 'h1',
    source: 'stdout',
    logstore: 'app',
    tags: { env: 'prod' },
    line: `line ${n}`,
    ...extra,
  };
}
