// Contract between the sandbox agents (log collection) and log-svc (log store): log records travel in batches on a
// JetStream stream of their own. An agent publishes a batch and counts it delivered once JetStream acknowledges it;
// log-svc acknowledges a batch only after it has committed it, and drops records it already has (by id).
import { createHash } from 'node:crypto';
import { DiscardPolicy, JetStreamManager, RetentionPolicy, StorageType } from 'nats';

export interface LogStreamNames {
  stream: string;
  /** Agents publish on `<subjectPrefix>.<hostId>`. */
  subjectPrefix: string;
  /** log-svc's durable consumer (its replicas share it: each batch is taken by one). */
  durable: string;
}

export function logStreamNames(natsPrefix: string): LogStreamNames {
  return { stream: `${natsPrefix}-logs`, subjectPrefix: `${natsPrefix}.logs.records`, durable: 'log-svc' };
}

/**
 * Leases `kube-system/<prefix><identity>` name the query endpoints of live log-svc replicas (annotation
 * `skiff.io/advertise-address`, `host:port`, HTTPS with a certificate of the cluster CA, the admin token): api-gateway
 * proxies logstore queries and the logs of pods that are gone there.
 */
export const LOG_QUERY_LEASE_PREFIX = 'skiff-log-query-';

/** log-svc's answer to `GET /namespaces/{ns}/pods/{pod}`: what its store knows of the last pod that had the name. */
export interface GonePod {
  uid: string;
  /** The containers whose stdout or stderr the store holds, by name. */
  containers: string[];
  /** When its first stream was stored (RFC 3339). */
  firstSeen: string;
}

/** Lines longer than this (bytes of UTF-8) are cut into pieces of at most this size, each marked. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** Where a record was read: the container's stdout or stderr, or a log file inside it (its path there). */
export type LogSource = 'stdout' | 'stderr' | `file:${string}`;

/** One line of a container's log as it travels and as log-svc stores it. */
export interface LogRecord {
  /** Stable across re-reads and re-deliveries: `logRecordId` of where the line starts. */
  id: string;
  /** When it was written (RFC 3339 with nanoseconds): the CRI log line's time, or when a file line was read. */
  time: string;
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  /** The sandbox host that ran the pod. */
  host: string;
  source: LogSource;
  /** The logstore (`aliyun_logs_{key}`, or its `_logstore` override), in the pod's namespace. */
  logstore: string;
  /** `aliyun_logs_{key}_tags`, k=v pairs. */
  tags: Record<string, string>;
  /** The line without its newline; invalid UTF-8 bytes escaped as `\xNN`. */
  line: string;
  /** Set on the pieces of a line over MAX_LOG_LINE_BYTES: which piece, and whether it is the last. */
  piece?: { index: number; last: boolean };
}

/** A logstore's settings as the container env gives them (`_ttl`, `_shard`, `_logstoremode`, `_project`). */
export interface LogStoreSettings {
  namespace: string;
  name: string;
  /** Days, 1–3650 (ASK's default 90). */
  ttlDays: number;
  /** 1–10 (default 2). */
  shards: number;
  mode: 'standard' | 'query';
  project?: string;
}

/** One message on the stream: records of one host, and the settings of every logstore they name. */
export interface LogBatch {
  host: string;
  stores: LogStoreSettings[];
  records: LogRecord[];
}

/**
 * A record's id: the same line read again (after an agent restart, from its persisted offsets) gets the same id.
 * `position` is where the line starts in its source, e.g. the CRI log file's restart count and byte offset.
 */
export function logRecordId(podUid: string, container: string, source: LogSource, position: string): string {
  return createHash('sha256').update(`${podUid}\n${container}\n${source}\n${position}`).digest('hex').slice(0, 32);
}

/** Creates the log stream if it is missing. File storage; batches stay until log-svc has taken them (work queue). */
export async function ensureLogStream(jsm: JetStreamManager, names: LogStreamNames, maxBytes: number): Promise<void> {
  try {
    await jsm.streams.info(names.stream);
  } catch (err) {
    if (!(err instanceof Error && /stream not found/i.test(err.message))) throw err;
    try {
      await jsm.streams.add({
        name: names.stream,
        subjects: [`${names.subjectPrefix}.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        // A full stream refuses new batches: the agents spool them on disk, nothing already taken is dropped.
        discard: DiscardPolicy.New,
        max_bytes: maxBytes,
        // An agent that republishes a batch after a lost ack sends the same Nats-Msg-Id.
        duplicate_window: 120_000_000_000,
      });
    } catch (addErr) {
      if (!(addErr instanceof Error && /already in use|name already/i.test(addErr.message))) throw addErr;
    }
  }
}
