import { EnvReader, logStreamMaxBytesOf } from '@skiff/config';
import { PodManagerConfig } from '../pods/pod-manager.config';
import { BatchLimits } from './log-batcher';

export interface LogCollectionConfig extends Pick<PodManagerConfig, 'hostId' | 'stateDir' | 'natsPrefix'> {
  /** The on-disk spool of batches JetStream has not taken (SKIFF_LOG_SPOOL_BYTES, default 256 MiB). */
  spoolBytes: number;
  /** The log stream's size when this agent is the one to create it (SKIFF_LOG_STREAM_BYTES, default 1 GiB). */
  streamMaxBytes: number;
  /** How long a deleted pod's files are read and shipped before they are removed (SKIFF_LOG_DRAIN_SECONDS, 10). */
  drainTimeoutMs: number;
  /**
   * How often files at their end are looked at again: at first, and at the longest once they have been quiet; then
   * their directory is watched (inotify) and they are looked at only when it reports a change, or after
   * `watchedPollMs` (a safety net).
   */
  pollMs: number;
  idlePollMs: number;
  watchedPollMs: number;
  batch: Omit<BatchLimits, 'maxPayload'>;
  /** Batches held in memory before reading pauses (while JetStream is slow, not away). */
  maxQueuedBatches: number;
  /** How often acknowledged offsets are saved (a crash re-sends at most this much, with the same ids). */
  saveEveryMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export function logCollectionConfigOf(
  pods: Pick<PodManagerConfig, 'hostId' | 'stateDir' | 'natsPrefix'>,
  env = new EnvReader(),
): LogCollectionConfig {
  return {
    hostId: pods.hostId,
    stateDir: pods.stateDir,
    natsPrefix: pods.natsPrefix,
    spoolBytes: env.int('SKIFF_LOG_SPOOL_BYTES', 256 * 2 ** 20, 2 ** 20),
    streamMaxBytes: logStreamMaxBytesOf(env),
    drainTimeoutMs: env.int('SKIFF_LOG_DRAIN_SECONDS', 10, 1, 3600) * 1000,
    pollMs: 100,
    idlePollMs: 1_000,
    watchedPollMs: 10_000,
    batch: { records: 1000, bytes: 512 * 1024, flushMs: 200 },
    maxQueuedBatches: 16,
    saveEveryMs: 1_000,
    retryMinMs: 250,
    retryMaxMs: 5_000,
  };
}
