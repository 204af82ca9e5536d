import { JsonObject, KubeObject } from '@skiff/api-machinery';
import { isPodAvailable, isPodReady, podPhase } from '../controllers/pod-conditions';
import { podRevision } from './stateful-set-identity';
import { statusOf } from './stateful-set-spec';

/** apps/v1 StatefulSetStatus as this controller writes it (conditions are left as they are). */
export interface StatefulSetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

/** Seen by the API server: a pod this controller only means to create has no phase yet. */
export function isCreated(pod: KubeObject): boolean {
  return podPhase(pod) !== '';
}

export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** Finished pods are replaced, whatever their exit code (evicted pods end Succeeded too). */
export function isFinished(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Failed' || phase === 'Succeeded';
}

export function isPending(pod: KubeObject): boolean {
  return podPhase(pod) === 'Pending';
}

export function isRunningAndReady(pod: KubeObject): boolean {
  return podPhase(pod) === 'Running' && isPodReady(pod);
}

export function isRunningAndAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  return podPhase(pod) === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

export function isUnavailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  return !isRunningAndAvailable(pod, minReadySeconds, now) || isTerminating(pod);
}

/** Counts over the pods (computeReplicaStatus): revisions count only live, non-terminating pods. */
export function countReplicas(
  status: StatefulSetStatus,
  pods: readonly KubeObject[],
  minReadySeconds: number,
  now: number,
): void {
  status.replicas = 0;
  status.readyReplicas = 0;
  status.availableReplicas = 0;
  status.currentReplicas = 0;
  status.updatedReplicas = 0;
  for (const pod of pods) {
    if (isCreated(pod)) status.replicas++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, now)) status.availableReplicas++;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      const revision = podRevision(pod);
      if (revision === status.currentRevision) status.currentReplicas++;
      if (revision === status.updateRevision) status.updatedReplicas++;
    }
  }
}

/** A rolling update is complete once every pod is updated and ready: the update revision becomes current. */
export function completeRollingUpdate(status: StatefulSetStatus, rollingUpdate: boolean): void {
  if (rollingUpdate && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

export function sameStatus(set: KubeObject, status: StatefulSetStatus): boolean {
  const old: JsonObject = statusOf(set);
  return (Object.keys(status) as (keyof StatefulSetStatus)[]).every((k) => old[k] === status[k]);
}
