import type { Pod, StatefulSet } from '@skiff/kube-types';
import {
  identityMatches,
  inOrdinalRange,
  newStatefulSetPod,
  ordinalOf,
  podRevision,
  storageMatches,
} from './stateful-set-identity';
import { applyRevision, SetRevisions } from './stateful-set-revisions';
import { scaledValue, statefulSetSpec, StatefulSetSpecView } from './stateful-set-spec';
import {
  countReplicas,
  isCreated,
  isFinished,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isTerminating,
  isUnavailable,
  StatefulSetStatusView,
} from './stateful-set-status';

/** The writes the control loop makes about one member pod (StatefulPodControl; a fake in unit specs). */
export interface StatefulPodOps {
  /** Creates the pod's missing claims, then the pod. */
  createPod(set: StatefulSet, pod: Pod): Promise<void>;
  /** Deletes the pod (gone already counts as done). */
  deletePod(set: StatefulSet, pod: Pod): Promise<void>;
  /** Brings identity labels, missing claims and claim owners of a live pod in line. */
  updatePod(set: StatefulSet, pod: Pod): Promise<void>;
  createMissingClaims(set: StatefulSet, pod: Pod): Promise<void>;
  claimsMatchRetention(set: StatefulSet, pod: Pod): boolean;
  updateClaimsForRetention(set: StatefulSet, pod: Pod): Promise<void>;
  /** A claim of this ordinal still belongs to an earlier pod (or is being deleted): wait before creating. */
  claimIsStale(set: StatefulSet, pod: Pod): boolean;
}

export interface SyncOutcome {
  status: StatefulSetStatusView;
  /** What failed this pass, after the status was computed (the status is written anyway). */
  error?: unknown;
}

// slowStartBatch: Parallel creates go out 1, 2, 4, ... at a time, so a template that cannot be created fails once.
const MAX_BATCH = 500;

/**
 * One pass of upstream's updateStatefulSet: replace finished pods, create missing ordinals (in
 * order and one at a time, each after its predecessors are Running and Ready, under OrderedReady;
 * all at once under Parallel), scale down from the highest ordinal, then roll the update revision
 * out from the highest ordinal down to the partition, one pod at a time.
 */
export async function updateStatefulSet(
  set: StatefulSet,
  revisions: SetRevisions,
  pods: readonly Pod[],
  ops: StatefulPodOps,
  now: number,
): Promise<SyncOutcome> {
  const spec = statefulSetSpec(set);
  const { current, update } = revisions;
  const currentSet = applyRevision(set, current);
  const updateSet = applyRevision(set, update);
  const minReady = spec.minReadySeconds;
  const status: StatefulSetStatusView = {
    observedGeneration: set.metadata.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    currentRevision: current.metadata.name!,
    updateRevision: update.metadata.name!,
    collisionCount: revisions.collisionCount,
  };
  countReplicas(status, pods, minReady, now);

  const replicas: Pod[] = new Array<Pod>(spec.replicas);
  const condemned: Pod[] = [];
  for (const pod of pods) {
    if (inOrdinalRange(set, pod)) replicas[ordinalOf(pod) - spec.start] = pod;
    else if (ordinalOf(pod) >= 0) condemned.push(pod);
  }
  for (let i = 0; i < spec.replicas; i++) {
    replicas[i] ??= newVersionedPod(currentSet, updateSet, revisions, spec.start + i);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const firstUnhealthy =
    replicas.find((p) => isUnavailable(p, minReady, now)) ??
    [...condemned].reverse().find((p) => isUnavailable(p, minReady, now));

  // A set being deleted only reports; the garbage collector removes its pods.
  if (set.metadata.deletionTimestamp) return { status };

  const monotonic = !spec.parallel;
  const done = (error?: unknown): SyncOutcome => {
    countReplicas(status, [...replicas, ...condemned], minReady, now);
    return error === undefined ? { status } : { status, error };
  };
  try {
    if (
      await runForAll(
        replicas,
        (i) => processReplica(set, updateSet, spec, replicas[i], ops, monotonic, now),
        monotonic,
      )
    )
      return done();
    const fixClaims = async (i: number): Promise<boolean> => {
      if (!ops.claimsMatchRetention(updateSet, condemned[i]))
        await ops.updateClaimsForRetention(updateSet, condemned[i]);
      return false;
    };
    if (await runForAll(condemned, fixClaims, monotonic)) return done();
    // Scaling comes before updates; nothing is resurrected while it runs.
    if (
      await runForAll(
        condemned,
        (i) => processCondemned(set, spec, condemned[i], firstUnhealthy, ops, monotonic, now),
        monotonic,
      )
    )
      return done();
  } catch (err) {
    return done(err);
  }
  countReplicas(status, [...replicas, ...condemned], minReady, now);

  // OnDelete: pods move to the update revision only when someone deletes them.
  if (spec.onDelete) return { status };
  try {
    if (spec.maxUnavailable !== undefined)
      await rollWithMaxUnavailable(set, spec, replicas, update.metadata.name!, status, ops, now);
    else await rollOneAtATime(set, spec, replicas, update.metadata.name!, status, ops, now);
  } catch (err) {
    return { status, error: err };
  }
  return { status };
}

/**
 * The pod for a missing ordinal (newVersionedStatefulSetPod): ordinals below the partition (or,
 * without rollingUpdate, below the current replica count) are recreated at the current revision.
 */
function newVersionedPod(
  currentSet: StatefulSet,
  updateSet: StatefulSet,
  revisions: SetRevisions,
  ordinal: number,
): Pod {
  const spec = statefulSetSpec(currentSet);
  const currentReplicas = currentSet.status?.currentReplicas;
  const rolling = !spec.onDelete;
  const keepCurrent = spec.hasRollingUpdate
    ? ordinal < spec.start + spec.partition
    : rolling && ordinal < spec.start + (typeof currentReplicas === 'number' ? currentReplicas : 0);
  return keepCurrent
    ? newStatefulSetPod(currentSet, ordinal, revisions.current.metadata.name!)
    : newStatefulSetPod(updateSet, ordinal, revisions.update.metadata.name!);
}

/** Returns true when this pass must stop here (monotonic only). */
async function processReplica(
  set: StatefulSet,
  updateSet: StatefulSet,
  spec: StatefulSetSpecView,
  pod: Pod,
  ops: StatefulPodOps,
  monotonic: boolean,
  now: number,
): Promise<boolean> {
  // Failed or Succeeded: delete, and a fresh pod of the same name follows once this one is gone.
  if (isFinished(pod)) {
    if (!isTerminating(pod)) await ops.deletePod(set, pod);
    return true;
  }
  if (!isCreated(pod)) {
    if (ops.claimIsStale(set, pod)) return true;
    await ops.createPod(set, pod);
    if (monotonic) return true;
  }
  if (isPending(pod)) await ops.createMissingClaims(set, pod);
  if (
    monotonic &&
    (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, spec.minReadySeconds, now))
  )
    return true;
  if (!isCreated(pod)) return false; // just created (Parallel): nothing of it to fix yet
  if (identityMatches(set, pod) && storageMatches(set, pod) && ops.claimsMatchRetention(updateSet, pod)) return false;
  await ops.updatePod(updateSet, pod);
  return false;
}

async function processCondemned(
  set: StatefulSet,
  spec: StatefulSetSpecView,
  pod: Pod,
  firstUnhealthy: Pod | undefined,
  ops: StatefulPodOps,
  monotonic: boolean,
  now: number,
): Promise<boolean> {
  // Under OrderedReady a terminating pod blocks the next one.
  if (isTerminating(pod)) return monotonic;
  // Under OrderedReady only a healthy pod, or the first unhealthy one, may go.
  if (monotonic && pod !== firstUnhealthy && !isRunningAndAvailable(pod, spec.minReadySeconds, now)) return true;
  await ops.deletePod(set, pod);
  return true;
}

/** Deletes the highest-ordinal pod not at the update revision, waiting for each to come back available. */
async function rollOneAtATime(
  set: StatefulSet,
  spec: StatefulSetSpecView,
  replicas: Pod[],
  updateRevision: string,
  status: StatefulSetStatusView,
  ops: StatefulPodOps,
  now: number,
): Promise<void> {
  for (let target = replicas.length - 1; target >= spec.partition; target--) {
    const pod = replicas[target];
    if (podRevision(pod) !== updateRevision && !isTerminating(pod)) {
      await ops.deletePod(set, pod);
      status.currentReplicas--;
      return;
    }
    if (isUnavailable(pod, spec.minReadySeconds, now)) return;
  }
}

/** maxUnavailable given: up to that many pods of the range may be down for the update at once. */
async function rollWithMaxUnavailable(
  set: StatefulSet,
  spec: StatefulSetSpecView,
  replicas: Pod[],
  updateRevision: string,
  status: StatefulSetStatusView,
  ops: StatefulPodOps,
  now: number,
): Promise<void> {
  const maxUnavailable = Math.max(1, scaledValue(spec.maxUnavailable ?? 1, spec.replicas));
  const unavailable = replicas.filter((p) => isUnavailable(p, spec.minReadySeconds, now)).length;
  let budget = maxUnavailable - unavailable;
  for (let target = replicas.length - 1; target >= spec.partition && budget > 0; target--) {
    const pod = replicas[target];
    if (podRevision(pod) !== updateRevision && !isTerminating(pod)) {
      await ops.deletePod(set, pod);
      budget--;
      status.currentReplicas--;
    }
  }
}

/**
 * Runs `fn` over the indexes: in order, stopping at the first that asks to (OrderedReady); or in
 * growing batches side by side, stopping at the first batch with a failure (Parallel).
 */
async function runForAll(
  items: readonly unknown[],
  fn: (i: number) => Promise<boolean>,
  monotonic: boolean,
): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < items.length; i++) if (await fn(i)) return true;
    return false;
  }
  let next = 0;
  for (let batch = 1; next < items.length; batch = Math.min(batch * 2, MAX_BATCH)) {
    const indexes = Array.from({ length: Math.min(batch, items.length - next) }, (_, k) => next + k);
    next += indexes.length;
    const results = await Promise.allSettled(indexes.map((i) => fn(i)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return false;
}
