import { KubeObject } from '@skiff/api-machinery';
import type { Pod, PodDisruptionBudget, PodDisruptionBudgetStatus } from '@skiff/kube-types';
import { isPodReady } from '../controllers/pod-conditions';

// DeletionTimeout: how long a pod recorded in disruptedPods may take to be marked for deletion.
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export type BudgetCondition = NonNullable<PodDisruptionBudgetStatus['conditions']>[number];

/** The status this controller writes: the counts always set. */
export type BudgetStatus = Required<
  Pick<PodDisruptionBudgetStatus, 'disruptionsAllowed' | 'currentHealthy' | 'desiredHealthy' | 'expectedPods'>
> &
  Pick<PodDisruptionBudgetStatus, 'observedGeneration' | 'disruptedPods' | 'conditions'>;

export function budgetStatusOf(pdb: PodDisruptionBudget): PodDisruptionBudgetStatus {
  return pdb.status ?? {};
}

/** intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` (rounded up here, as the controller asks). */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** What getExpectedPodCount needs to know: the summed scale of the pods' controllers, when it asks. */
export interface ExpectedScale {
  expectedCount: number;
  unmanagedPods: string[];
}

/**
 * getExpectedPodCount: with maxUnavailable or a percentage minAvailable, the pods the controllers
 * want (their scale) and how many must stay healthy; with an integer minAvailable, the pods there are.
 */
export async function expectedPodCount(
  spec: PodDisruptionBudget['spec'],
  pods: readonly KubeObject[],
  expectedScale: () => Promise<ExpectedScale>,
): Promise<{ expectedCount: number; desiredHealthy: number; unmanagedPods: string[] }> {
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { expectedCount, unmanagedPods } = await expectedScale();
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedCount, true);
    return { expectedCount, desiredHealthy: Math.max(0, expectedCount - maxUnavailable), unmanagedPods };
  }
  if (typeof spec.minAvailable === 'number')
    return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
  if (typeof spec.minAvailable === 'string') {
    const { expectedCount, unmanagedPods } = await expectedScale();
    return { expectedCount, desiredHealthy: scaledValue(spec.minAvailable, expectedCount, true), unmanagedPods };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/**
 * buildDisruptedPodMap: evictions still expected to turn into deletions. Entries of pods that are
 * gone or already being deleted drop out; an entry older than DeletionTimeout is dropped and its
 * pod reported. Returns when to look again (the earliest entry's timeout).
 */
export function liveDisruptedPods(
  pods: readonly Pod[],
  recorded: Record<string, string> | undefined,
  now: number,
): { disruptedPods: Record<string, string>; overdue: Pod[]; recheckAt?: number } {
  const disruptedPods: Record<string, string> = {};
  const overdue: Pod[] = [];
  let recheckAt: number | undefined;
  if (!recorded) return { disruptedPods, overdue };
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = recorded[pod.metadata.name!];
    if (at === undefined) continue;
    const expectedDeletion = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (expectedDeletion < now) {
      overdue.push(pod);
      continue;
    }
    if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
    disruptedPods[pod.metadata.name!] = at;
  }
  return { disruptedPods, overdue, recheckAt };
}

/** countHealthyPods: Ready, not being deleted, and not about to be deleted by an eviction. */
export function countHealthyPods(pods: readonly Pod[], disruptedPods: Record<string, string>, now: number): number {
  return pods.filter((pod) => {
    if (pod.metadata.deletionTimestamp) return false;
    const at = disruptedPods[pod.metadata.name!];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) return false;
    return isPodReady(pod);
  }).length;
}

/** apimeta.SetStatusCondition: the transition time moves only when the status changes. */
export function setStatusCondition(
  conditions: readonly BudgetCondition[],
  next: Omit<BudgetCondition, 'lastTransitionTime'>,
  now: string,
): BudgetCondition[] {
  const old = conditions.find((c) => c.type === next.type);
  if (!old) return [...conditions, { ...next, lastTransitionTime: now }];
  const merged: BudgetCondition = {
    ...old,
    ...next,
    lastTransitionTime: old.status === next.status ? old.lastTransitionTime : now,
  };
  return conditions.map((c) => (c === old ? merged : c));
}

/** pdbhelper.UpdateDisruptionAllowedCondition */
export function withDisruptionAllowedCondition(status: BudgetStatus, now: string): BudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  const condition = {
    type: 'DisruptionAllowed',
    status: allowed ? 'True' : 'False',
    observedGeneration: status.observedGeneration ?? 0,
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  };
  return { ...status, conditions: setStatusCondition(status.conditions ?? [], condition, now) };
}

/** pdbhelper.ConditionsAreUpToDate */
function conditionsAreUpToDate(pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus): boolean {
  const cond = (status.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  if (!cond || (status.observedGeneration ?? 0) !== (pdb.metadata.generation ?? 0)) return false;
  return (status.disruptionsAllowed ?? 0) > 0
    ? cond.status === 'True' && cond.reason === 'SufficientPods'
    : cond.status === 'False' && cond.reason === 'InsufficientPods';
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
}

/**
 * updatePdbStatus: the status to write, or undefined when the stored one already says it.
 * No disruption is allowed while the budget expects no pods, so a budget whose first pods
 * appear is safe before the controller has looked at them.
 */
export function nextBudgetStatus(
  pdb: PodDisruptionBudget,
  observed: {
    currentHealthy: number;
    desiredHealthy: number;
    expectedCount: number;
    disruptedPods: Record<string, string>;
  },
  now: string,
): BudgetStatus | undefined {
  const { currentHealthy, desiredHealthy, expectedCount, disruptedPods } = observed;
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const old = budgetStatusOf(pdb);
  const generation = pdb.metadata.generation ?? 0;
  if (
    (old.currentHealthy ?? 0) === currentHealthy &&
    (old.desiredHealthy ?? 0) === desiredHealthy &&
    (old.expectedPods ?? 0) === expectedCount &&
    (old.disruptionsAllowed ?? 0) === disruptionsAllowed &&
    sameMap(old.disruptedPods, disruptedPods) &&
    (old.observedGeneration ?? 0) === generation &&
    conditionsAreUpToDate(pdb, old)
  ) {
    return undefined;
  }
  return withDisruptionAllowedCondition(
    {
      observedGeneration: generation,
      ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}),
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods: expectedCount,
      conditions: old.conditions,
    },
    now,
  );
}

/** failSafe: when the status cannot be computed, no disruption is allowed and the condition says why. */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, now: string): BudgetStatus {
  const old = budgetStatusOf(pdb);
  const status: BudgetStatus = {
    observedGeneration: old.observedGeneration,
    ...(old.disruptedPods ? { disruptedPods: old.disruptedPods } : {}),
    disruptionsAllowed: 0,
    currentHealthy: old.currentHealthy ?? 0,
    desiredHealthy: old.desiredHealthy ?? 0,
    expectedPods: old.expectedPods ?? 0,
  };
  const condition = {
    type: 'DisruptionAllowed',
    status: 'False',
    observedGeneration: old.observedGeneration ?? 0,
    reason: 'SyncFailed',
    message,
  };
  return { ...status, conditions: setStatusCondition(old.conditions ?? [], condition, now) };
}
