import type { Pod } from '@skiff/kube-types';
import { isPodReady, podPhase, podReadySince } from '../controllers/pod-conditions';

const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

function deletionCost(pod: Pod): number {
  const cost = Number(pod.metadata.annotations?.[POD_DELETION_COST] ?? 0);
  return Number.isFinite(cost) ? cost : 0;
}

function assigned(pod: Pod): boolean {
  return Boolean(pod.spec.nodeName);
}

/**
 * Orders pods least valuable first, as upstream's ActivePods ranking: unscheduled before
 * scheduled, Pending before Unknown before Running, not ready before ready, lower
 * pod-deletion-cost first, ready for less time first, more restarts first, newer first.
 */
export function compareDeletionOrder(a: Pod, b: Pod): number {
  if (assigned(a) !== assigned(b)) return assigned(a) ? 1 : -1;
  const phase = (PHASE_RANK[podPhase(a)] ?? 0) - (PHASE_RANK[podPhase(b)] ?? 0);
  if (phase !== 0) return phase;
  if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
  const cost = deletionCost(a) - deletionCost(b);
  if (cost !== 0) return cost;
  const readyA = podReadySince(a);
  const readyB = podReadySince(b);
  if (readyA !== undefined && readyB !== undefined && readyA !== readyB) return readyB - readyA;
  const restartDiff = restarts(b) - restarts(a);
  if (restartDiff !== 0) return restartDiff;
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '') || 0;
}

export function podsToDelete(pods: readonly Pod[], n: number): Pod[] {
  return [...pods].sort(compareDeletionOrder).slice(0, n);
}
