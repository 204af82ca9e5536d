import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from '@skiff/kube-types';
import { specReplicas, statusCount } from './rollout-math';

/** The status this controller writes: every count set, conditions always present. */
export type DeploymentStatusView = Required<
  Pick<
    DeploymentStatus,
    | 'observedGeneration'
    | 'replicas'
    | 'updatedReplicas'
    | 'readyReplicas'
    | 'availableReplicas'
    | 'unavailableReplicas'
  >
> &
  Pick<DeploymentStatus, 'collisionCount'> & { conditions: DeploymentCondition[] };

export function currentConditions(deployment: Deployment): DeploymentCondition[] {
  return deployment.status?.conditions ?? [];
}

/** Sets a condition, keeping lastTransitionTime when the status does not change (SetDeploymentCondition). */
export function setCondition(
  conditions: DeploymentCondition[],
  next: Omit<DeploymentCondition, 'lastUpdateTime' | 'lastTransitionTime'>,
  now: string,
): DeploymentCondition[] {
  const old = conditions.find((c) => c.type === next.type);
  if (old && old.status === next.status && old.reason === next.reason) return conditions;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastUpdateTime: now, lastTransitionTime }];
}

/** calculateStatus: counts summed over the ReplicaSets, and the Available condition. */
export function calculateStatus(
  deployment: Deployment,
  all: readonly ReplicaSet[],
  newRs: ReplicaSet | undefined,
  maxUnavailable: number,
  now: string,
): DeploymentStatusView {
  const desired = deployment.spec.replicas ?? 1;
  const sum = (f: 'replicas' | 'readyReplicas' | 'availableReplicas', list: readonly ReplicaSet[]): number =>
    list.reduce((n, rs) => n + statusCount(rs, f), 0);
  const available = sum('availableReplicas', all);
  const collisionCount = deployment.status?.collisionCount;
  const availability =
    available >= desired - maxUnavailable
      ? ({
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        } as const)
      : ({
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        } as const);
  return {
    observedGeneration: deployment.metadata.generation ?? 0,
    replicas: sum('replicas', all),
    updatedReplicas: newRs ? statusCount(newRs, 'replicas') : 0,
    readyReplicas: sum('readyReplicas', all),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, all.reduce((n, rs) => n + specReplicas(rs), 0) - available),
    ...(collisionCount !== undefined ? { collisionCount } : {}),
    conditions: setCondition(currentConditions(deployment), availability, now),
  };
}

/** Every replica updated and available, and nothing old left (DeploymentComplete). */
export function isComplete(deployment: Deployment, status: DeploymentStatusView): boolean {
  const desired = deployment.spec.replicas ?? 1;
  return (
    status.updatedReplicas === desired &&
    status.replicas === desired &&
    status.availableReplicas === desired &&
    status.observedGeneration >= (deployment.metadata.generation ?? 0)
  );
}

/** The rollout made progress since the last status (DeploymentProgressing). */
export function madeProgress(deployment: Deployment, next: DeploymentStatusView): boolean {
  const old: DeploymentStatus = deployment.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = next.replicas - next.updatedReplicas;
  return (
    next.updatedReplicas > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    next.readyReplicas > (old.readyReplicas ?? 0) ||
    next.availableReplicas > (old.availableReplicas ?? 0)
  );
}

export function sameDeploymentStatus(current: DeploymentStatus | undefined, next: DeploymentStatusView): boolean {
  const c: DeploymentStatus = current ?? {};
  const keys: (keyof DeploymentStatusView & keyof DeploymentStatus)[] = [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
    'collisionCount',
  ];
  return (
    keys.every((k) => (c[k] ?? 0) === (next[k] ?? 0)) &&
    JSON.stringify(c.conditions ?? []) === JSON.stringify(next.conditions)
  );
}
