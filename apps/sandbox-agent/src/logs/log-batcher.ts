import { Clock } from '@skiff/api-machinery';
import { LogBatch, LogRecord, LogStoreSettings } from '@skiff/messaging';
import { createHash } from 'node:crypto';
import { TrackedFile } from './pod-log-state';

/** Where a batch leaves each file it read from: once JetStream has it, reading resumes there after a restart. */
export interface BatchCursor {
  pod: string;
  serial: number;
  offset: number;
}

/** How many records of a pod a batch holds: what a spool that drops it reports on the pod. */
export interface BatchPod {
  uid: string;
  namespace: string;
  name: string;
  lines: number;
}

/** What travels with a batch besides its payload (kept in the spool beside it). */
export interface BatchMeta {
  /** Stable for the batch's records: its Nats-Msg-Id, so a publish repeated after a lost ack is dropped. */
  id: string;
  records: number;
  cursors: BatchCursor[];
  pods: BatchPod[];
}

/** A batch ready to publish: the JSON of a LogBatch, and its meta. */
export interface SealedBatch {
  meta: BatchMeta;
  payload: Buffer;
}

/** Where the sources put records: `resume` is the file offset to resume at once this record is delivered. */
export interface RecordSink {
  add(record: LogRecord, store: LogStoreSettings, file: TrackedFile, resume: number): void;
}

export interface BatchLimits {
  records: number;
  /** Estimated JSON bytes. */
  bytes: number;
  /** A batch waits at most this long for more records. */
  flushMs: number;
  /** NATS's max_payload: a batch over it is cut in two. */
  maxPayload: number;
}

// JSON of a record besides its line: field names, id, time, uid and the short names (a generous guess).
const RECORD_OVERHEAD = 320;

/** Gathers records into LogBatches by count, size and age, in the order they were read. */
export class LogBatcher implements RecordSink {
  private records: LogRecord[] = [];
  private bytes = 0;
  private firstAt = 0;
  private stores = new Set<LogStoreSettings>();
  private cursors = new Map<TrackedFile, number>();

  constructor(
    private readonly host: string,
    private readonly limits: BatchLimits,
    private readonly clock: Clock,
    private readonly onSealed: (batch: SealedBatch) => void,
  ) {}

  add(record: LogRecord, store: LogStoreSettings, file: TrackedFile, resume: number): void {
    if (this.records.length === 0) this.firstAt = this.clock.nowMs();
    this.records.push(record);
    this.bytes += RECORD_OVERHEAD + record.line.length;
    this.stores.add(store);
    this.cursors.set(file, resume);
    if (this.records.length >= this.limits.records || this.bytes >= this.limits.bytes) this.seal();
  }

  /** How long until the batch under way is due (undefined when empty). */
  dueInMs(): number | undefined {
    if (this.records.length === 0) return undefined;
    return Math.max(0, this.firstAt + this.limits.flushMs - this.clock.nowMs());
  }

  sealIfDue(): void {
    if (this.dueInMs() === 0) this.seal();
  }

  /** Hands the batch under way on, whatever its size. */
  seal(): void {
    if (this.records.length === 0) return;
    const records = this.records;
    const cursors: BatchCursor[] = [...this.cursors].map(([f, offset]) => ({
      pod: f.podUid,
      serial: f.serial,
      offset,
    }));
    const stores = new Map<string, LogStoreSettings>();
    for (const s of this.stores) if (!stores.has(`${s.namespace}/${s.name}`)) stores.set(`${s.namespace}/${s.name}`, s);
    this.records = [];
    this.bytes = 0;
    this.stores = new Set();
    this.cursors = new Map();
    this.encode(records, [...stores.values()], cursors);
  }

  // Lines of escapes can make a batch larger than guessed: over max_payload it goes as two, the second carrying
  // the cursors (it is acknowledged after the first, so nothing is passed by before it is delivered).
  private encode(records: LogRecord[], stores: LogStoreSettings[], cursors: BatchCursor[]): void {
    const batch: LogBatch = { host: this.host, stores, records };
    const payload = Buffer.from(JSON.stringify(batch));
    if (payload.length > this.limits.maxPayload && records.length > 1) {
      const half = records.length >> 1;
      const part = (rs: LogRecord[]) =>
        stores.filter((s) => rs.some((r) => r.logstore === s.name && r.namespace === s.namespace));
      this.encode(records.slice(0, half), part(records.slice(0, half)), []);
      this.encode(records.slice(half), part(records.slice(half)), cursors);
      return;
    }
    const pods = new Map<string, BatchPod>();
    const hash = createHash('sha256');
    for (const r of records) {
      hash.update(r.id);
      const p = pods.get(r.podUid);
      if (p) p.lines++;
      else pods.set(r.podUid, { uid: r.podUid, namespace: r.namespace, name: r.pod, lines: 1 });
    }
    const id = `${this.host}-${hash.digest('hex').slice(0, 32)}`;
    this.onSealed({ meta: { id, records: records.length, cursors, pods: [...pods.values()] }, payload });
  }
}
