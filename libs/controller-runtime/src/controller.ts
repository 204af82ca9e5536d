import { KubeObject } from '@skiff/api-machinery';
import { KubeClient } from '@skiff/kube-client';
import { EventRecorder } from './event-recorder';
import { SharedInformers } from './shared-informers';
import { ReconcileResult } from './work-queue';

/** What a controller works with during one leadership term. */
export interface ControllerContext {
  readonly client: KubeClient;
  readonly informers: SharedInformers;
  readonly events: EventRecorder;
  /** Aborted when this replica stops leading: long passes (batches of creates) stop early. */
  readonly signal: AbortSignal;
  /** Queues a key of this controller (idempotent while queued). */
  enqueue(key: string): void;
  enqueueAfter(key: string, ms: number): void;
}

/**
 * A reconciler (docs/controllers.md): `begin` subscribes to informers (each event only enqueues
 * keys) and resets per-term memory; `reconcile` re-reads the caches, converges, is safe to run
 * again, and may ask for another look later (a periodic resync is a reconcile that returns
 * `requeueAfterMs`). Keys are `namespace/name` unless a controller says otherwise.
 */
export interface Controller {
  readonly name: string;
  readonly workers: number;
  begin(ctx: ControllerContext): void;
  reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void>;
}

/** Nest token for the list of Controllers an app's ControllerManager runs while it leads. */
export const CONTROLLERS = Symbol('CONTROLLERS');

export function objectKey(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
