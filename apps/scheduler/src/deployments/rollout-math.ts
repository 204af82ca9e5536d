import type { Deployment, ReplicaSet } from '@skiff/kube-types';

/** The numbers of one ReplicaSet the rollout arithmetic needs. */
export interface RsCounts {
  spec: number;
  available: number;
}

export function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 0;
}

export function statusCount(rs: ReplicaSet, field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return rs.status?.[field] ?? 0;
}

/** An int-or-percent against `total`, rounded up or down as upstream's GetScaledValueFromIntOrPercent. */
export function scaledValue(value: unknown, total: number, roundUp: boolean, fallback: string): number {
  const v = value === undefined || value === null ? fallback : value;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v));
  if (!m) return Number(v) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable resolved against replicas; both zero would never progress, so unavailable becomes 1. */
export function resolveFenceposts(deployment: Deployment): { maxSurge: number; maxUnavailable: number } {
  const spec = deployment.spec;
  if (spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const rolling = spec.strategy?.rollingUpdate ?? {};
  const replicas = spec.replicas ?? 1;
  const maxSurge = scaledValue(rolling.maxSurge, replicas, true, '25%');
  const maxUnavailable = scaledValue(rolling.maxUnavailable, replicas, false, '25%');
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge, maxUnavailable: 1 } : { maxSurge, maxUnavailable };
}

/** Replicas the new ReplicaSet may have now during a rolling update (NewRSNewReplicas). */
export function newReplicasForRollingUpdate(
  desired: number,
  maxSurge: number,
  newRs: RsCounts,
  all: readonly RsCounts[],
): number {
  const current = all.reduce((n, rs) => n + rs.spec, 0);
  const maxTotal = desired + maxSurge;
  if (current >= maxTotal) return newRs.spec;
  return newRs.spec + Math.max(0, Math.min(maxTotal - current, desired - newRs.spec));
}

/**
 * How far old ReplicaSets may shrink now without going under `desired - maxUnavailable`
 * available pods, counting the new ReplicaSet's unavailable pods (reconcileOldReplicaSets).
 */
export function oldScaleDownBudget(
  desired: number,
  maxUnavailable: number,
  newRs: RsCounts,
  all: readonly RsCounts[],
): number {
  const allPods = all.reduce((n, rs) => n + rs.spec, 0);
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = Math.max(0, newRs.spec - newRs.available);
  return allPods - minAvailable - newUnavailable;
}

/**
 * Spreads `toAdd` (negative to remove) over active ReplicaSets in proportion to their size, the
 * rest going to the largest (newest first when scaling up) — upstream's proportional scaling.
 */
export function proportionalShares(sizes: readonly number[], toAdd: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0 || toAdd === 0) return sizes.map(() => 0);
  const shares = sizes.map((s) => {
    const share = Math.trunc((s * toAdd) / total);
    return toAdd < 0 ? Math.max(share, -s) : share;
  });
  let left = toAdd - shares.reduce((a, b) => a + b, 0);
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);
  for (const i of order) {
    if (left === 0) break;
    if (left > 0) {
      shares[i] += left;
      left = 0;
    } else {
      const take = Math.max(left, -(sizes[i] + shares[i]));
      shares[i] += take;
      left -= take;
    }
  }
  return shares;
}
