import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { specReplicas, statusCount } from './rollout-math';

export interface DeploymentCondition {
  type: 'Available' | 'Progressing' | 'ReplicaFailure';
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface DeploymentStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  collisionCount?: number;
  conditions: DeploymentCondition[];
}

export function currentConditions(deployment: KubeObject): DeploymentCondition[] {
  return isJsonObject(deployment.status) && Array.isArray(deployment.status.conditions)
    ? (deployment.status.conditions as unknown as DeploymentCondition[])
    : [];
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
  deployment: KubeObject,
  all: readonly KubeObject[],
  newRs: KubeObject | undefined,
  maxUnavailable: number,
  now: string,
): DeploymentStatus {
  const desired =
    isJsonObject(deployment.spec) && typeof deployment.spec.replicas === 'number' ? deployment.spec.replicas : 1;
  const sum = (f: 'replicas' | 'readyReplicas' | 'availableReplicas', list: readonly KubeObject[]): number =>
    list.reduce((n, rs) => n + statusCount(rs, f), 0);
  const available = sum('availableReplicas', all);
  const previous = isJsonObject(deployment.status) ? deployment.status : {};
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
    ...(typeof previous.collisionCount === 'number' ? { collisionCount: previous.collisionCount } : {}),
    conditions: setCondition(currentConditions(deployment), availability, now),
  };
}

/** Every replica updated and available, and nothing old left (DeploymentComplete). */
export function isComplete(deployment: KubeObject, status: DeploymentStatus): boolean {
  const desired =
    isJsonObject(deployment.spec) && typeof deployment.spec.replicas === 'number' ? deployment.spec.replicas : 1;
  return (
    status.updatedReplicas === desired &&
    status.replicas === desired &&
    status.availableReplicas === desired &&
    status.observedGeneration >= (deployment.metadata.generation ?? 0)
  );
}

/** The rollout made progress since the last status (DeploymentProgressing). */
export function madeProgress(deployment: KubeObject, next: DeploymentStatus): boolean {
  const old = (isJsonObject(deployment.status) ? deployment.status : {}) as Partial<DeploymentStatus>;
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = next.replicas - next.updatedReplicas;
  return (
    next.updatedReplicas > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    next.readyReplicas > (old.readyReplicas ?? 0) ||
    next.availableReplicas > (old.availableReplicas ?? 0)
  );
}

export function sameDeploymentStatus(current: unknown, next: DeploymentStatus): boolean {
  const c = isJsonObject(current) ? current : {};
  const keys: (keyof DeploymentStatus)[] = [
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
