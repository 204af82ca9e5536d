import type { Pod, StatefulSet, StatefulSetStatus } from '@skiff/kube-types';
import { isPodAvailable, isPodReady, podPhase } from '../controllers/pod-conditions';
import { podRevision } from './stateful-set-identity';

/** apps/v1 StatefulSetStatus as this controller writes it: every field set (conditions are left as they are). */
export type StatefulSetStatusView = Required<Omit<StatefulSetStatus, 'conditions'>>;

/** Seen by the API server: a pod this controller only means to create has no phase yet. */
export function isCreated(pod: Pod): boolean {
  return podPhase(pod) !== '';
}

export function isTerminating(pod: Pod): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** Finished pods are replaced, whatever their exit code (evicted pods end Succeeded too). */
export function isFinished(pod: Pod): boolean {
  const phase = podPhase(pod);
  return phase === 'Failed' || phase === 'Succeeded';
}

export function isPending(pod: Pod): boolean {
  return podPhase(pod) === 'Pending';
}

export function isRunningAndReady(pod: Pod): boolean {
  return podPhase(pod) === 'Running' && isPodReady(pod);
}

export function isRunningAndAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  return podPhase(pod) === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

export function isUnavailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  return !isRunningAndAvailable(pod, minReadySeconds, now) || isTerminating(pod);
}

/** Counts over the pods (computeReplicaStatus): revisions count only live, non-terminating pods. */
export function countReplicas(
  status: StatefulSetStatusView,
  pods: readonly Pod[],
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
export function completeRollingUpdate(status: StatefulSetStatusView, rollingUpdate: boolean): void {
  if (rollingUpdate && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

export function sameStatus(set: StatefulSet, status: StatefulSetStatusView): boolean {
  const old = set.status;
  return (Object.keys(status) as (keyof StatefulSetStatusView)[]).every((k) => old?.[k] === status[k]);
}
