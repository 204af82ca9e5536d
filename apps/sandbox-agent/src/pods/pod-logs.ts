import { PodRecord } from './pod-state.store';

/**
 * The log collection (logs/LogCollector) as the pod code drives it: which pods run containers whose env asks for
 * collection, and when a pod's files are about to be removed.
 */
export abstract class PodLogs {
  /** The pod's sandbox is up: collect what its containers' env asks for (idempotent, cheap, called every pass). */
  abstract follow(record: PodRecord): void;
  /** The pod's containers have stopped and its files go next: read them to their end and ship it (bounded in time). */
  abstract drain(record: PodRecord): Promise<void>;
  /** The pod is gone: stop reading and forget its offsets. */
  abstract forget(uid: string): Promise<void>;
}
