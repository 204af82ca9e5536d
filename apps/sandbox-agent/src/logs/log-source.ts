import { Clock } from '@skiff/api-machinery';
import { RecordSink } from './log-batcher';
import { PodLogState } from './pod-log-state';

/** What the sources of every pod share: the pod's read positions, the host, and the collector's read buffer. */
export interface LogSourceContext {
  readonly state: PodLogState;
  readonly host: string;
  readonly clock: Clock;
  /** Reused by every read (one read at a time): records copy what they keep out of it. */
  readonly buffer: Buffer;
  readonly sink: RecordSink;
}

/** One thing a container's env asks to collect: its stdout/stderr, or the files one pattern matches. */
export interface LogSource {
  /** `cri:<container>` or `file:<container>:<key>`: names the source's files in the saved offsets. */
  readonly key: string;
  /**
   * Reads what is new, about one buffer's worth, into the sink; resolves true if there may be more to read now.
   * Returns early after starting a new file, so its serial is saved before any record of it leaves.
   * `final`: the container is gone, so everything is read to its end, lines without a newline included.
   */
  read(final: boolean): Promise<boolean>;
  /** The directory its files are in, once known: watched while the source is quiet. */
  watchDir(): string | undefined;
  close(): Promise<void>;
}
