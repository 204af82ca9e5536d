import { loadInfraConfig } from '@skiff/config';
import { LogStoreSettings, logRecordId, LogSource } from '@skiff/messaging';
import { createDataSource } from '@skiff/persistence';
import { migrate } from '@skiff/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { IngestRecord } from './ingest-record';
import { timeOf } from './record-time';

/** A database of the spec's own with every owner's tables; `drop()` removes it. */
export async function testDatabase(label: string): Promise<{ url: string; ds: DataSource; drop(): Promise<void> }> {
  const name = `skiff_test_${label}_${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const url = withDatabase(loadInfraConfig().databaseUrl, name);
  await migrate(url);
  const ds = createDataSource(url, {}, 6);
  await ds.initialize();
  return {
    url,
    ds,
    async drop() {
      await ds.destroy();
      const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function storeSettings(name: string, extra: Partial<LogStoreSettings> = {}): LogStoreSettings {
  return { namespace: 'team', name, ttlDays: 30, shards: 2, mode: 'standard', ...extra };
}

/** Line `n` of a pod's container, written at `timeMs`; its id is where it starts (`n`), as the agent's would be. */
export function ingestRecord(
  n: number,
  timeMs: number,
  extra: Partial<Omit<IngestRecord, 'time' | 'timeMs' | 'nanos'>> & { nanos?: number } = {},
): IngestRecord {
  const podUid = extra.podUid ?? 'uid-web-1';
  const container = extra.container ?? 'app';
  const source = (extra.source ?? 'stdout') as LogSource;
  const time = timeOf(
    `${new Date(timeMs).toISOString().slice(0, 23)}000${String(extra.nanos ?? 0).padStart(3, '0')}Z`,
  )!;
  return {
    id: logRecordId(podUid, container, source, `0:${n}`),
    store: 'team/app',
    namespace: 'team',
    pod: 'web-1',
    podUid,
    container,
    host: 'h1',
    source,
    tags: {},
    line: `line ${n}`,
    ...extra,
    ...time,
  };
}
