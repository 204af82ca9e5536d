import { Injectable } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { LogRecord } from '@skiff/messaging';
import { DAY_MS } from '../store/log-partitions';
import { LogStoresRepository, StoreRow } from '../store/log-stores.repository';
import { LogQueryError } from './log-query.error';
import { logRecordOf, LogRecordReader } from './log-record.reader';
import { decodeCursor, encodeCursor } from './query-cursor';
import { isoMicros, LogQueryParams, TimeWindow } from './query-params';
import { histogramQuery, pageQuery, RecordRow } from './query-sql';

export const MAX_BUCKETS = 1000;

export interface HistogramBucket {
  from: string;
  to: string;
  count: number;
}

export interface LogQueryResult {
  apiVersion: 'logs.skiff.io/v1';
  kind: 'LogQueryResult';
  /** The window read (a store's TTL may have shortened the one asked for). */
  from: string;
  to: string;
  items: LogRecord[];
  /** Present when the page is full: asks for the next one. */
  cursor?: string;
  histogram?: HistogramBucket[];
}

/** Searches one logstore: a page of matching records in a time window, a cursor to the next, counts per bucket. */
@Injectable()
export class LogQueryService {
  constructor(
    private readonly stores: LogStoresRepository,
    private readonly reader: LogRecordReader,
    private readonly clock: Clock,
  ) {}

  async store(namespace: string, name: string): Promise<StoreRow> {
    const store = await this.stores.find(namespace, name);
    if (!store)
      throw new LogQueryError('not-found', `logstores.logs.skiff.io "${name}" not found`, {
        group: 'logs.skiff.io',
        resource: 'logstores',
        name,
      });
    return store;
  }

  async query(namespace: string, name: string, params: LogQueryParams): Promise<LogQueryResult> {
    const store = await this.store(namespace, name);
    const resumed = params.cursor ? decodeCursor(params.cursor, params.query) : undefined;
    const window = resumed?.window ?? params.window!;
    const order = resumed?.order ?? params.order;
    // Records past the store's TTL are never shown, whether or not retention has reached them yet.
    const oldest = isoMicros(this.clock.nowMs() - store.ttlDays * DAY_MS);
    const read: TimeWindow = { from: window.from > oldest ? window.from : oldest, to: window.to };
    const selection = { storeId: store.id, ...read, ...(params.node ? { node: params.node } : {}) };
    const result: LogQueryResult = { apiVersion: 'logs.skiff.io/v1', kind: 'LogQueryResult', ...read, items: [] };
    if (read.from >= read.to) return result;
    const buckets = params.histogram ? bucketsOf(read, params.histogram) : undefined;
    const rows = await this.reader.rows<RecordRow>(
      pageQuery({ ...selection, order, limit: params.limit, ...(resumed ? { after: resumed.after } : {}) }),
    );
    result.items = rows.map((r) => logRecordOf(r, store.name));
    const last = rows[rows.length - 1];
    if (rows.length === params.limit)
      result.cursor = encodeCursor({ window, order, after: { time: `${last.time}Z`, seq: last.seq } }, params.query);
    if (buckets) {
      const rows = await this.reader.rows<{ bucket: string; n: number }>(histogramQuery(selection, params.histogram!));
      const counts = new Map(rows.map((r) => [Number(r.bucket), r.n]));
      result.histogram = buckets.map((b) => ({ from: b.from, to: b.to, count: counts.get(b.index) ?? 0 }));
    }
    return result;
  }
}

/** Every bucket of the window, aligned to the epoch, the first and last cut to the window; empty ones count 0. */
function bucketsOf(window: TimeWindow, seconds: number): { index: number; from: string; to: string }[] {
  const size = seconds * 1000;
  const first = Math.floor(Date.parse(window.from) / size);
  const last = Math.ceil(Date.parse(window.to) / size) - 1;
  if (last - first + 1 > MAX_BUCKETS)
    throw LogQueryError.invalid(`histogram: ${last - first + 1} buckets of ${seconds}s; at most ${MAX_BUCKETS}`);
  const buckets = [];
  for (let b = first; b <= last; b++)
    buckets.push({
      index: b,
      from: b === first ? window.from : isoMicros(b * size),
      to: b === last ? window.to : isoMicros((b + 1) * size),
    });
  return buckets;
}
