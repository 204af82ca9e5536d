import { metaTime } from '@skiff/api-machinery';
import type { HorizontalPodAutoscalerStatus } from '@skiff/kube-types';

export type HpaCondition = NonNullable<HorizontalPodAutoscalerStatus['conditions']>[number];
export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/** A condition a metric's failure proposes (getUnableComputeReplicaCountCondition). */
export interface ProposedCondition {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** setConditionInList: lastTransitionTime moves only when the status does. */
export function setCondition(status: HorizontalPodAutoscalerStatus, condition: ProposedCondition, nowMs: number): void {
  const conditions = status.conditions ?? [];
  let existing = conditions.find((c) => c.type === condition.type);
  if (!existing) {
    existing = { type: condition.type, status: '' };
    conditions.push(existing);
  }
  if (existing.status !== condition.status) existing.lastTransitionTime = metaTime(nowMs);
  existing.status = condition.status;
  existing.reason = condition.reason;
  existing.message = condition.message;
  status.conditions = conditions;
}
