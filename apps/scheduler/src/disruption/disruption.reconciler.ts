import { Injectable } from '@nestjs/common';
import {
  Clock,
  KubeObject,
  LabelMatcher,
  labelSelectorFromObject,
  matchesLabels,
  errorMessage,
} from '@skiff/api-machinery';
import {
  ControllerContext,
  controllerRefOf,
  DEPLOYMENTS,
  Informer,
  objectKey,
  POD_DISRUPTION_BUDGETS,
  PODS,
  ReconcileResult,
  REPLICA_SETS,
  REPLICATION_CONTROLLERS,
  splitKey,
  STATEFUL_SETS,
  Controller,
  KindRef,
} from '@skiff/controller-runtime';
import { isConflict, isNotFound } from '@skiff/kube-client';
import type {
  Deployment,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
  ReplicationController,
  StatefulSet,
} from '@skiff/kube-types';
import { podPhase } from '../controllers/pod-conditions';
import { ControllerScaleFinder } from './controller-scale';
import {
  BudgetStatus,
  budgetStatusOf,
  countHealthyPods,
  expectedPodCount,
  ExpectedScale,
  failSafeStatus,
  liveDisruptedPods,
  nextBudgetStatus,
} from './disruption-budget-status';

// stalePodDisruptionTimeout: a DisruptionTarget condition on a pod nobody deleted is reset after this.
const STALE_POD_DISRUPTION_MS = 2 * 60 * 1000;
// Keys of pods whose DisruptionTarget condition may go stale; budgets are plain `namespace/name`.
const STALE_POD_KEY = 'pod:';

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function withKind<T extends KubeObject>(obj: T, resource: KindRef): T {
  return { ...obj, apiVersion: resource.apiVersion, kind: resource.kind };
}

// metav1.LabelSelectorAsSelector; an invalid selector is an error the sync reports.
function budgetSelector(pdb: PodDisruptionBudget): LabelMatcher {
  return labelSelectorFromObject(pdb.spec.selector);
}

// Go's %v of a *metav1.LabelSelector, as the UnmanagedPods event prints it.
function goSelector(pdb: PodDisruptionBudget): string {
  const sel = pdb.spec.selector;
  if (!sel) return '<nil>';
  const labels = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const exprs = sel.matchExpressions ?? [];
  const labelText = `map[string]string{${labels.map(([k, v]) => `${k}: ${v},`).join('')}}`;
  const exprText = exprs
    .map(
      (e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`,
    )
    .join('');
  return `&LabelSelector{MatchLabels:${labelText},MatchExpressions:[]LabelSelectorRequirement{${exprText}},}`;
}

/**
 * The disruption controller (pkg/controller/disruption): for every PodDisruptionBudget, counts the
 * healthy pods its selector selects against how many must stay healthy — from minAvailable, or
 * from the replicas of the pods' controllers for maxUnavailable and percentages — and writes
 * disruptionsAllowed, the DisruptionAllowed condition and the evictions still pending
 * (disruptedPods), which the API server's eviction subresource reads and decrements.
 */
@Injectable()
export class DisruptionReconciler implements Controller {
  readonly name = 'disruption-controller';
  readonly workers = 2;
  private budgets!: Informer<PodDisruptionBudget>;
  private pods!: Informer<Pod>;
  private finder!: ControllerScaleFinder;

  constructor(private readonly clock: Clock) {}

  begin(ctx: ControllerContext): void {
    this.budgets = ctx.informers.get<PodDisruptionBudget>(POD_DISRUPTION_BUDGETS);
    this.pods = ctx.informers.get<Pod>(PODS);
    this.finder = new ControllerScaleFinder({
      replicationControllers: ctx.informers.get<ReplicationController>(REPLICATION_CONTROLLERS),
      replicaSets: ctx.informers.get<ReplicaSet>(REPLICA_SETS),
      deployments: ctx.informers.get<Deployment>(DEPLOYMENTS),
      statefulSets: ctx.informers.get<StatefulSet>(STATEFUL_SETS),
      client: ctx.client,
    });
    const enqueueBudget = (pdb: PodDisruptionBudget): void => ctx.enqueue(objectKey(pdb));
    this.budgets.on('add', enqueueBudget);
    this.budgets.on('update', enqueueBudget);
    this.budgets.on('delete', enqueueBudget);
    const onPod = (pod: Pod): void => {
      this.enqueueBudgetFor(ctx, pod);
      const wait = this.staleDisruptionWait(pod);
      if (wait !== undefined) ctx.enqueueAfter(`${STALE_POD_KEY}${objectKey(pod)}`, wait);
    };
    this.pods.on('add', onPod);
    this.pods.on('update', onPod);
    this.pods.on('delete', (pod) => this.enqueueBudgetFor(ctx, pod));
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(STALE_POD_KEY)) return this.resetStaleDisruption(ctx, key.slice(STALE_POD_KEY.length));
    const { namespace, name } = splitKey(key);
    const pdb = this.budgets.get(namespace, name);
    if (!pdb) return;
    try {
      return await this.sync(ctx, pdb);
    } catch (err) {
      // A conflict only means our copy is old: retry without the fail-safe.
      if (isConflict(err)) throw err;
      return this.failSafe(ctx, pdb, errorMessage(err));
    }
  }

  /** getPdbForPod: upstream enqueues one budget per pod, and warns on the pod when several select it. */
  private enqueueBudgetFor(ctx: ControllerContext, pod: Pod): void {
    const matching = this.budgets
      .list()
      .filter((pdb) => pdb.metadata.namespace === pod.metadata.namespace && this.selects(pdb, pod))
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    if (matching.length === 0) return;
    if (matching.length > 1) {
      const message = `Pod "${pod.metadata.namespace}"/"${pod.metadata.name}" matches multiple PodDisruptionBudgets.  Chose "${matching[0].metadata.name}" arbitrarily.`;
      void ctx.events.record(withKind(pod, PODS), 'Warning', 'MultiplePodDisruptionBudgets', message);
    }
    ctx.enqueue(objectKey(matching[0]));
  }

  private selects(pdb: PodDisruptionBudget, pod: Pod): boolean {
    try {
      return matchesLabels(budgetSelector(pdb), pod.metadata.labels);
    } catch {
      return false;
    }
  }

  private async sync(ctx: ControllerContext, pdb: PodDisruptionBudget): Promise<ReconcileResult | void> {
    const event = (type: 'Normal' | 'Warning', reason: string, message: string): void =>
      void ctx.events.record(withKind(pdb, POD_DISRUPTION_BUDGETS), type, reason, message);
    let selector: LabelMatcher;
    try {
      selector = budgetSelector(pdb);
    } catch (err) {
      event('Warning', 'NoPods', `Failed to get pods: ${errorMessage(err)}`);
      throw err;
    }
    const pods = this.pods
      .list()
      .filter((p) => p.metadata.namespace === pdb.metadata.namespace && matchesLabels(selector, p.metadata.labels));
    if (pods.length === 0) event('Normal', 'NoPods', 'No matching pods found');

    let expected: Awaited<ReturnType<typeof expectedPodCount>>;
    try {
      expected = await expectedPodCount(pdb.spec, pods, () => this.expectedScale(pods));
    } catch (err) {
      event(
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${errorMessage(err)}`,
      );
      throw err;
    }
    if (expected.unmanagedPods.length > 0) {
      event(
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${goSelector(pdb)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }

    const now = this.clock.nowMs();
    const { disruptedPods, overdue, recheckAt } = liveDisruptedPods(pods, budgetStatusOf(pdb).disruptedPods, now);
    for (const pod of overdue) {
      void ctx.events.record(
        withKind(pod, PODS),
        'Warning',
        'NotDeleted',
        `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.name} to be deleted but it wasn't`,
      );
    }
    const currentHealthy = countHealthyPods(pods, disruptedPods, now);
    const status = nextBudgetStatus(
      pdb,
      { currentHealthy, desiredHealthy: expected.desiredHealthy, expectedCount: expected.expectedCount, disruptedPods },
      timestamp(now),
    );
    if (status) await this.writeStatus(ctx, pdb, status);
    // An eviction not followed by a deletion stops counting against the budget after DeletionTimeout.
    if (recheckAt !== undefined) return { requeueAfterMs: Math.max(0, recheckAt - now) };
  }

  /** getExpectedScale: the sum of the replicas of the pods' controllers (each counted once). */
  private async expectedScale(pods: readonly Pod[]): Promise<ExpectedScale> {
    const scales = new Map<string, number>();
    const unmanagedPods: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanagedPods.push(pod.metadata.name!);
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = await this.finder.find(ref, pod.metadata.namespace);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(found.uid, found.scale);
    }
    return { expectedCount: [...scales.values()].reduce((a, b) => a + b, 0), unmanagedPods };
  }

  /** failSafe: if the status cannot be computed, at least no eviction may pass. */
  private async failSafe(ctx: ControllerContext, pdb: PodDisruptionBudget, message: string): Promise<void> {
    await this.writeStatus(ctx, pdb, failSafeStatus(pdb, message, timestamp(this.clock.nowMs())));
  }

  // UpdateStatus with the cached resourceVersion: an eviction that changed the budget meanwhile wins, we recompute.
  private async writeStatus(ctx: ControllerContext, pdb: PodDisruptionBudget, status: BudgetStatus): Promise<void> {
    try {
      await ctx.client
        .resource<PodDisruptionBudget>(POD_DISRUPTION_BUDGETS)
        .updateStatus(pdb.metadata.namespace, { ...withKind(pdb, POD_DISRUPTION_BUDGETS), status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** How long until a DisruptionTarget condition on this pod counts as stale (nonTerminatingPodHasStaleDisruptionCondition). */
  private staleDisruptionWait(pod: Pod): number | undefined {
    if (pod.metadata.deletionTimestamp) return undefined;
    const cond = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    const phase = podPhase(pod);
    // Conditions the kubelet adds are never stale, nor are those of finished pods.
    if (
      !cond ||
      cond.status !== 'True' ||
      cond.reason === 'TerminationByKubelet' ||
      phase === 'Succeeded' ||
      phase === 'Failed'
    )
      return undefined;
    const since = typeof cond.lastTransitionTime === 'string' ? Date.parse(cond.lastTransitionTime) : 0;
    return Math.max(0, STALE_POD_DISRUPTION_MS - (this.clock.nowMs() - since));
  }

  /** syncStalePodDisruption: an evicted pod that was not deleted after all loses its DisruptionTarget condition. */
  private async resetStaleDisruption(ctx: ControllerContext, podKey: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(podKey);
    const pod = this.pods.get(namespace, name);
    if (!pod) return;
    const wait = this.staleDisruptionWait(pod);
    if (wait === undefined) return;
    if (wait > 0) return { requeueAfterMs: wait };
    const patch = {
      metadata: { resourceVersion: pod.metadata.resourceVersion },
      status: {
        conditions: [{ type: 'DisruptionTarget', status: 'False', lastTransitionTime: timestamp(this.clock.nowMs()) }],
      },
    };
    try {
      await ctx.client
        .resource(PODS)
        .patchStatus(namespace, name, patch, 'strategic', { fieldManager: 'DisruptionController' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
