import { isDns1123Label, isDns1123Subdomain, isJsonObject } from '@skiff/api-machinery';
import { LogStoreSettings } from '@skiff/messaging';
import { IngestRecord } from '../store/ingest-record';
import { DAY_MS } from '../store/log-partitions';
import { timeOf } from '../store/record-time';

/** A logstore's settings when no container named them (ASK's defaults). */
export const DEFAULT_STORE_SETTINGS = { ttlDays: 90, shards: 2, mode: 'standard' } as const;

export interface IngestBatch {
  /** Every store the records name, keyed `<namespace>/<name>`, with the batch's settings or the defaults. */
  stores: Map<string, LogStoreSettings>;
  records: IngestRecord[];
  /** Records left out, and why (the first few). */
  rejected: number;
  reasons: string[];
}

/** A message that is not a LogBatch at all: it is taken off the stream and logged. */
export class MalformedBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedBatchError';
  }
}

const RECORD_ID = /^[0-9a-f]{32}$/;
const MAX_REASONS = 5;
const MAX_TTL_DAYS = 3650;

/**
 * Reads one message of the log stream. A record that breaks the contract (a bad id, time or name) is left out and
 * counted, the rest of its batch kept; so is one older than any store keeps, or more than a day ahead of this clock
 * (it would make a partition nothing drops). Postgres cannot hold NUL characters: they are escaped as `\x00`, as the
 * agent escapes invalid UTF-8.
 */
export function parseLogBatch(data: Uint8Array, nowMs: number): IngestBatch {
  let batch: unknown;
  try {
    batch = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new MalformedBatchError(`not JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(batch) || !Array.isArray(batch.records))
    throw new MalformedBatchError('not a log batch (no records array)');
  const records: unknown[] = batch.records;
  const settings: unknown = batch.stores;
  const out: IngestBatch = { stores: new Map(), records: [], rejected: 0, reasons: [] };
  const given = new Map<string, LogStoreSettings>();
  for (const s of Array.isArray(settings) ? settings : []) {
    const store = storeSettingsOf(s);
    if (store) given.set(`${store.namespace}/${store.name}`, store);
  }
  for (const raw of records) {
    const checked = recordOf(raw, nowMs);
    if (typeof checked === 'string') {
      out.rejected++;
      if (out.reasons.length < MAX_REASONS) out.reasons.push(checked);
      continue;
    }
    out.records.push(checked);
    if (!out.stores.has(checked.store)) {
      const [namespace, name] = checked.store.split('/');
      out.stores.set(checked.store, given.get(checked.store) ?? { namespace, name, ...DEFAULT_STORE_SETTINGS });
    }
  }
  return out;
}

/** A store's settings brought into range; undefined for one without a valid namespace and name. */
function storeSettingsOf(raw: unknown): LogStoreSettings | undefined {
  if (!isJsonObject(raw) || typeof raw.namespace !== 'string' || typeof raw.name !== 'string') return undefined;
  if (!isDns1123Label(raw.namespace) || !isStoreName(raw.name)) return undefined;
  const int = (v: unknown, lo: number, hi: number, fallback: number) =>
    typeof v === 'number' && Number.isInteger(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
  return {
    namespace: raw.namespace,
    name: raw.name,
    ttlDays: int(raw.ttlDays, 1, MAX_TTL_DAYS, DEFAULT_STORE_SETTINGS.ttlDays),
    shards: int(raw.shards, 1, 10, DEFAULT_STORE_SETTINGS.shards),
    mode: raw.mode === 'query' ? 'query' : 'standard',
    ...(typeof raw.project === 'string' && raw.project !== '' ? { project: raw.project } : {}),
  };
}

/** A logstore's name is its Logstore object's name: a DNS label (SLS's names without the underscore). */
export function isStoreName(name: string): boolean {
  return isDns1123Label(name);
}

function recordOf(raw: unknown, nowMs: number): IngestRecord | string {
  if (!isJsonObject(raw)) return 'a record is not an object';
  const r = raw as Record<string, unknown>;
  const text = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  const id = text('id');
  if (!id || !RECORD_ID.test(id)) return `record id ${JSON.stringify(r.id)} is not 32 hex digits`;
  const namespace = text('namespace');
  const logstore = text('logstore');
  if (!namespace || !isDns1123Label(namespace)) return `record ${id}: bad namespace ${JSON.stringify(r.namespace)}`;
  if (!logstore || !isStoreName(logstore)) return `record ${id}: bad logstore name ${JSON.stringify(r.logstore)}`;
  const pod = text('pod');
  const container = text('container');
  const podUid = text('podUid');
  const host = text('host');
  const source = text('source');
  if (!pod || !isDns1123Subdomain(pod)) return `record ${id}: bad pod name ${JSON.stringify(r.pod)}`;
  if (!container || !isDns1123Label(container)) return `record ${id}: bad container name`;
  if (!podUid || !host) return `record ${id}: no podUid or host`;
  if (!source || !(source === 'stdout' || source === 'stderr' || /^file:./.test(source)))
    return `record ${id}: bad source ${JSON.stringify(r.source)}`;
  const line = text('line');
  if (line === undefined) return `record ${id}: no line`;
  const time = timeOf(text('time'));
  if (!time) return `record ${id}: time ${JSON.stringify(r.time)} is not RFC 3339`;
  if (time.timeMs < nowMs - MAX_TTL_DAYS * DAY_MS || time.timeMs > nowMs + DAY_MS)
    return `record ${id}: time ${r.time as string} is outside what any store keeps`;
  const tags: Record<string, string> = {};
  if (r.tags !== undefined) {
    if (!isJsonObject(r.tags)) return `record ${id}: tags are not an object`;
    for (const [k, v] of Object.entries(r.tags)) {
      if (typeof v !== 'string') return `record ${id}: tag ${k} is not a string`;
      tags[escapeNul(k)] = escapeNul(v);
    }
  }
  let piece: IngestRecord['piece'];
  if (r.piece !== undefined) {
    const p = r.piece as { index?: unknown; last?: unknown };
    if (!isJsonObject(r.piece) || !Number.isInteger(p.index) || (p.index as number) < 0 || typeof p.last !== 'boolean')
      return `record ${id}: bad piece`;
    piece = { index: p.index as number, last: p.last };
  }
  return {
    id,
    store: `${namespace}/${logstore}`,
    namespace,
    pod,
    podUid: escapeNul(podUid),
    container,
    host: escapeNul(host),
    source: escapeNul(source),
    tags,
    line: escapeNul(line),
    ...time,
    ...(piece ? { piece } : {}),
  };
}

function escapeNul(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '\\x00') : s;
}
