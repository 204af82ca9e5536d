import { isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { isPodAvailable, isPodReady } from '../controllers/pod-conditions';

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration: number;
  conditions?: ReplicaSetCondition[];
}

function matchesTemplateLabels(pod: KubeObject, rs: KubeObject): boolean {
  const template = isJsonObject(rs.spec) && isJsonObject(rs.spec.template) ? rs.spec.template : {};
  const labels =
    isJsonObject(template.metadata) && isJsonObject(template.metadata.labels) ? template.metadata.labels : {};
  return Object.entries(labels).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The status a ReplicaSet reports for the active pods it owns (replicaset calculateStatus). */
export function replicaSetStatus(
  rs: KubeObject,
  pods: readonly KubeObject[],
  minReadySeconds: number,
  now: number,
  failure?: string,
): ReplicaSetStatus {
  const previous = (isJsonObject(rs.status) ? rs.status : {}) as Partial<ReplicaSetStatus>;
  const conditions = (previous.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  if (failure) {
    const old = previous.conditions?.find((c) => c.type === 'ReplicaFailure');
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

export function sameStatus(current: unknown, next: ReplicaSetStatus): boolean {
  const c = (isJsonObject(current) ? current : {}) as JsonObject;
  return (
    (c.replicas ?? 0) === next.replicas &&
    (c.fullyLabeledReplicas ?? 0) === next.fullyLabeledReplicas &&
    (c.readyReplicas ?? 0) === next.readyReplicas &&
    (c.availableReplicas ?? 0) === next.availableReplicas &&
    (c.observedGeneration ?? 0) === next.observedGeneration &&
    JSON.stringify(c.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}
