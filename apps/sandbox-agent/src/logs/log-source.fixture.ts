import { Clock } from '@skiff/api-machinery';
import { LogRecord, LogStoreSettings } from '@skiff/messaging';
import { RecordSink } from './log-batcher';
import { LogTarget } from './log-config';
import { LogSource, LogSourceContext } from './log-source';
import { PodLogState, SavedPodOffsets, TrackedFile } from './pod-log-state';

/** Records as the sources hand them over, with the resume offset each left on its file. */
export class RecordingSink implements RecordSink {
  readonly records: LogRecord[] = [];
  readonly resumes: { serial: number; offset: number }[] = [];

  add(record: LogRecord, _store: LogStoreSettings, file: TrackedFile, resume: number): void {
    this.records.push(record);
    this.resumes.push({ serial: file.serial, offset: resume });
  }

  lines(): string[] {
    return this.records.map((r) => r.line);
  }

  /** Acknowledges the first `n` records, as a delivered batch does. */
  ackFirst(state: PodLogState, n: number): void {
    for (const r of this.resumes.slice(0, n)) state.ack(r.serial, r.offset);
  }
}

export const POD = { uid: 'pod-uid-1', namespace: 'shop', name: 'web' };

export function target(key: string, tags: Record<string, string> = {}): LogTarget {
  return { key, store: { namespace: POD.namespace, name: key, ttlDays: 90, shards: 2, mode: 'standard' }, tags };
}

export function sourceContext(
  clock: Clock,
  sink: RecordSink,
  saved?: SavedPodOffsets,
  bufferBytes = 1 << 20,
): LogSourceContext {
  return { state: new PodLogState(POD, saved), host: 'host-a', clock, buffer: Buffer.alloc(bufferBytes), sink };
}

/** Reads until the source has nothing more now. */
export async function readAll(source: LogSource, final = false): Promise<void> {
  for (let i = 0; i < 10_000 && (await source.read(final)); i++) {
    // on
  }
}
