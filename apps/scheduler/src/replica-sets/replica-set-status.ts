import type { Pod, ReplicaSet, ReplicaSetStatus, ReplicationController } from '@skiff/kube-types';
import { isPodAvailable, isPodReady } from '../controllers/pod-conditions';

/** What a replica controller keeps pods for: a ReplicaSet, or a ReplicationController run on the same code. */
export type ReplicatedOwner = ReplicaSet | ReplicationController;

/** The status this controller writes: every count set (a ReplicationController's status has the same fields). */
export type ReplicaSetStatusView = Required<Omit<ReplicaSetStatus, 'conditions' | 'terminatingReplicas'>> &
  Pick<ReplicaSetStatus, 'conditions'>;
type ReplicaSetCondition = NonNullable<ReplicaSetStatus['conditions']>[number];

function matchesTemplateLabels(pod: Pod, rs: ReplicatedOwner): boolean {
  const labels = rs.spec.template?.metadata?.labels ?? {};
  return Object.entries(labels).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The status a ReplicaSet reports for the active pods it owns (replicaset calculateStatus). */
export function replicaSetStatus(
  rs: ReplicatedOwner,
  pods: readonly Pod[],
  minReadySeconds: number,
  now: number,
  failure?: string,
): ReplicaSetStatusView {
  const previous: ReplicaSetCondition[] = rs.status?.conditions ?? [];
  const conditions = previous.filter((c) => c.type !== 'ReplicaFailure');
  if (failure) {
    const old = previous.find((c) => c.type === 'ReplicaFailure');
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: old?.lastTransitionTime ?? new Date(now).toISOString(),
      reason: 'FailedCreate',
      message: failure,
    });
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => matchesTemplateLabels(p, rs)).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, minReadySeconds, now)).length,
    observedGeneration: rs.metadata.generation ?? 0,
    ...(conditions.length > 0 ? { conditions } : {}),
  };
}

export function sameStatus(current: ReplicatedOwner['status'], next: ReplicaSetStatusView): boolean {
  return (
    (current?.replicas ?? 0) === next.replicas &&
    (current?.fullyLabeledReplicas ?? 0) === next.fullyLabeledReplicas &&
    (current?.readyReplicas ?? 0) === next.readyReplicas &&
    (current?.availableReplicas ?? 0) === next.availableReplicas &&
    (current?.observedGeneration ?? 0) === next.observedGeneration &&
    JSON.stringify(current?.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}
