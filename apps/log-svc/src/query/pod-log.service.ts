import { Injectable } from '@nestjs/common';
import type { GonePod } from '@skiff/messaging';
import { LogQueryError } from './log-query.error';
import { LogRecordReader } from './log-record.reader';
import { Sql } from './query-sql';

/** kubelet's log options, as `GET /api/v1/namespaces/{ns}/pods/{pod}/log` takes them. */
export interface PodLogOptions {
  container?: string;
  tailLines?: number;
  /** RFC 3339 (UTC, microseconds): only records from then on. */
  since?: string;
  timestamps: boolean;
  limitBytes?: number;
  previous: boolean;
}

interface StreamRow {
  id: number;
  store_id: number;
  pod_uid: string;
  container: string;
  source: string;
  created_at: Date;
}

interface LineRow {
  time: string;
  nanos: number;
  seq: string;
  line: string;
  piece_index: number | null;
  piece_last: boolean | null;
}

const PAGE = 2000;
const LINE_COLUMNS = `to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS time, time_nanos AS nanos,
  seq::text AS seq, line, piece_index, piece_last`;

/**
 * `kubectl logs` of a pod that is gone: its stdout and stderr from the log store, as kubelet would have served them
 * (tailLines, since, timestamps, limitBytes). A line collected into several logstores is read from one of them. Of
 * several pods that had the name, the last one's.
 */
@Injectable()
export class PodLogService {
  constructor(private readonly reader: LogRecordReader) {}

  /**
   * What the store knows of the last pod that had the name: its uid and its containers (those whose stdout or stderr
   * it holds), for the API server to stand in for the pod when `kubectl logs` asks for it.
   */
  async gonePod(namespace: string, pod: string): Promise<GonePod> {
    const { uid, streams } = await this.lastPodStreams(namespace, pod);
    return {
      uid,
      containers: [...new Set(streams.map((s) => s.container))].sort(),
      firstSeen: streams.reduce((a, b) => (b.created_at < a.created_at ? b : a)).created_at.toISOString(),
    };
  }

  /** Finds the pod's streams (errors as the API server words them), then reads them lazily. */
  async open(namespace: string, pod: string, opts: PodLogOptions): Promise<AsyncIterable<string>> {
    const { streams: ofPod } = await this.lastPodStreams(namespace, pod);
    const containers = [...new Set(ofPod.map((s) => s.container))].sort();
    const container = opts.container ?? (containers.length === 1 ? containers[0] : undefined);
    if (!container)
      throw LogQueryError.invalid(
        `a container name must be specified for pod ${pod}, choose one of: [${containers.join(' ')}]`,
      );
    if (!containers.includes(container))
      throw LogQueryError.invalid(`container ${container} is not valid for pod ${pod}`);
    if (opts.previous)
      throw LogQueryError.invalid(`previous terminated container "${container}" in pod "${pod}" not found`);
    // One stream per source: the copy in the store made first.
    const chosen = new Map<string, StreamRow>();
    for (const s of ofPod.filter((st) => st.container === container).sort((a, b) => a.store_id - b.store_id))
      if (!chosen.has(s.source)) chosen.set(s.source, s);
    return this.render(
      [...chosen.values()].map((s) => s.id),
      opts,
    );
  }

  /** The stdout and stderr streams of the last pod that had the name (by the first stream of each). */
  private async lastPodStreams(namespace: string, pod: string): Promise<{ uid: string; streams: StreamRow[] }> {
    const streams = await this.reader.rows<StreamRow>({
      text: `SELECT id, store_id, pod_uid, container, source, created_at FROM log_streams
             WHERE namespace = $1 AND pod = $2 AND source IN ('stdout', 'stderr')`,
      params: [namespace, pod],
    });
    if (streams.length === 0)
      throw new LogQueryError('not-found', `pods "${pod}" not found`, { group: '', resource: 'pods', name: pod });
    const uid = streams.reduce((a, b) => (b.created_at > a.created_at ? b : a)).pod_uid;
    return { uid, streams: streams.filter((s) => s.pod_uid === uid) };
  }

  private async *render(streams: number[], opts: PodLogOptions): AsyncIterable<string> {
    let budget = opts.limitBytes ?? Infinity;
    const rows = opts.tailLines !== undefined ? this.tail(streams, opts) : this.all(streams, opts.since);
    for await (const row of rows) {
      const first = row.piece_index === null || row.piece_index === 0;
      const text = `${opts.timestamps && first ? `${rfc3339Nano(row.time, row.nanos)} ` : ''}${row.line}${row.piece_index !== null && !row.piece_last ? '' : '\n'}`;
      const bytes = Buffer.byteLength(text);
      if (bytes >= budget) {
        yield Buffer.from(text).subarray(0, budget).toString('utf8');
        return;
      }
      budget -= bytes;
      yield text;
    }
  }

  /** Every line since `since`, oldest first: each stream read in pages, merged by (time, seq). */
  private async *all(streams: number[], since: string | undefined): AsyncIterable<LineRow> {
    const cursors = streams.map((id) => ({
      id,
      rows: [] as LineRow[],
      after: undefined as LineRow | undefined,
      done: false,
    }));
    for (;;) {
      for (const c of cursors) {
        if (c.rows.length > 0 || c.done) continue;
        c.rows = await this.reader.rows<LineRow>(page(c.id, since, c.after));
        c.done = c.rows.length < PAGE;
        c.after = c.rows[c.rows.length - 1];
      }
      const live = cursors.filter((c) => c.rows.length > 0);
      if (live.length === 0) return;
      const next = live.reduce((a, b) => (before(b.rows[0], a.rows[0]) ? b : a));
      yield next.rows.shift()!;
    }
  }

  /** The last `tailLines` lines (since `since`), oldest first. */
  private async *tail(streams: number[], opts: PodLogOptions): AsyncIterable<LineRow> {
    const n = opts.tailLines!;
    if (n === 0) return;
    const newest: LineRow[] = [];
    for (const id of streams) {
      const params: unknown[] = [id, n];
      if (opts.since) params.push(opts.since);
      newest.push(
        ...(await this.reader.rows<LineRow>({
          text: `SELECT ${LINE_COLUMNS} FROM log_records WHERE stream_id = $1
                 ${opts.since ? 'AND time >= $3::timestamptz' : ''} ORDER BY time DESC, seq DESC LIMIT $2`,
          params,
        })),
      );
    }
    yield* newest.sort((a, b) => (before(a, b) ? -1 : 1)).slice(-n);
  }
}

function page(streamId: number, since: string | undefined, after: LineRow | undefined): Sql {
  const params: unknown[] = [streamId, PAGE];
  const where = ['stream_id = $1'];
  if (since) {
    params.push(since);
    where.push(`time >= $${params.length}::timestamptz`);
  }
  if (after) {
    params.push(`${after.time}Z`, after.seq);
    where.push(`(time, seq) > ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  return {
    text: `SELECT ${LINE_COLUMNS} FROM log_records WHERE ${where.join(' AND ')} ORDER BY time, seq LIMIT $2`,
    params,
  };
}

function before(a: LineRow, b: LineRow): boolean {
  return a.time !== b.time ? a.time < b.time : BigInt(a.seq) < BigInt(b.seq);
}

/** Go's RFC3339Nano, as kubelet prints timestamps: trailing zeros of the fraction dropped. */
export function rfc3339Nano(micros: string, nanos: number): string {
  const [seconds, fraction] = micros.split('.');
  const digits = `${fraction}${String(nanos).padStart(3, '0')}`.replace(/0+$/, '');
  return `${seconds}${digits ? `.${digits}` : ''}Z`;
}
