import { isConflict, isNotFound, KubeApiError } from '@skiff/kube-client';
import { ControllerContext, ControllerExpectations, PODS } from '@skiff/controller-runtime';
import type { Job, Pod } from '@skiff/kube-types';
import { isPodReady } from '../controllers/pod-conditions';
import { pendingIndexes, podIndexOf } from './job-indexes';
import { podForJob } from './job-pods';
import { asJob, JobSpecView } from './job-spec';
import { errorMessage } from '@skiff/api-machinery';

// Upstream's MaxPodCreateDeletePerSync.
const MAX_PER_SYNC = 500;

/**
 * Creates and deletes one Job's pods for one reconcile (upstream's manageJob): toward
 * `parallelism` active pods, never past what `completions` still needs, one pod per pending
 * index for Indexed Jobs. Waits on expectations so a reconcile that runs before the cache
 * caught up cannot create the same pods twice.
 */
export class JobPodManager {
  constructor(
    private readonly ctx: ControllerContext,
    private readonly expectations: ControllerExpectations,
    private readonly key: string,
    private readonly job: Job,
    private readonly spec: JobSpecView,
  ) {}

  /** Returns the pods active afterwards (the kept ones and the new ones). */
  async manage(
    active: Pod[],
    succeeded: number,
    completed: ReadonlySet<number> | undefined,
    mayCreate: boolean,
  ): Promise<Pod[]> {
    if (!this.expectations.satisfied(this.key)) return active;
    return completed
      ? this.manageIndexed(active, completed, mayCreate)
      : this.manageNonIndexed(active, succeeded, mayCreate);
  }

  private async manageNonIndexed(active: Pod[], succeeded: number, mayCreate: boolean): Promise<Pod[]> {
    const { parallelism, completions } = this.spec;
    let want: number;
    if (completions === undefined) want = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
    else want = Math.max(0, Math.min(completions - succeeded, parallelism));
    if (active.length > want) {
      const excess = [...active].sort(deletionOrder).slice(0, active.length - want);
      const kept = await this.deletePods(excess, true);
      return [...active.filter((p) => !excess.includes(p)), ...kept];
    }
    if (active.length < want && mayCreate)
      return [
        ...active,
        ...(await this.createPods(Array(Math.min(want - active.length, MAX_PER_SYNC)).fill(undefined))),
      ];
    return active;
  }

  private async manageIndexed(active: Pod[], completed: ReadonlySet<number>, mayCreate: boolean): Promise<Pod[]> {
    const completions = this.spec.completions ?? 0;
    // One pod per index: pods without a valid index, of a completed index, or a second pod of an index go.
    const byIndex = new Map<number, Pod>();
    const surplus: Pod[] = [];
    for (const pod of [...active].sort((a, b) => deletionOrder(b, a))) {
      const ix = podIndexOf(pod);
      if (ix === undefined || ix >= completions || completed.has(ix) || byIndex.has(ix)) surplus.push(pod);
      else byIndex.set(ix, pod);
    }
    const want = Math.max(0, Math.min(this.spec.parallelism, completions - completed.size));
    // Scale-down keeps the lowest indexes, as upstream.
    const byIndexDesc = [...byIndex.entries()].sort((a, b) => b[0] - a[0]);
    while (byIndexDesc.length > want) surplus.push(byIndexDesc.shift()![1]);
    let kept = byIndexDesc.map(([, pod]) => pod);
    if (surplus.length > 0) kept = [...kept, ...(await this.deletePods(surplus, true))];
    else if (kept.length < want && mayCreate) {
      const indexes = pendingIndexes(
        completions,
        completed,
        new Set(byIndex.keys()),
        Math.min(want - kept.length, MAX_PER_SYNC),
      );
      kept = [...kept, ...(await this.createPods(indexes))];
    }
    return kept;
  }

  private async createPods(indexes: (number | undefined)[]): Promise<Pod[]> {
    if (indexes.length === 0) return [];
    const client = this.ctx.client.resource<Pod>(PODS);
    this.expectations.expectCreations(this.key, indexes.length);
    const results = await Promise.allSettled(
      indexes.map((ix) => client.create(this.job.metadata.namespace, podForJob(this.job, this.spec, ix))),
    );
    const created: Pod[] = [];
    let failure: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        created.push(r.value);
        void this.ctx.events.record(
          asJob(this.job),
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${r.value.metadata.name}`,
        );
      } else {
        this.expectations.creationObserved(this.key); // it will never show up in the cache
        failure ??= r.reason;
      }
    }
    if (failure) {
      void this.ctx.events.record(
        asJob(this.job),
        'Warning',
        'FailedCreate',
        `Error creating: ${errorMessage(failure)}`,
      );
      // A namespace being deleted refuses new pods for good; anything else is worth a retry.
      if (!(failure instanceof KubeApiError && failure.code === 403)) throw failure;
    }
    return created;
  }

  /**
   * Deletes pods (preconditioned on their uid). With `expect`, the deletions are expected so
   * counting waits for them; returns the pods that could not be deleted and are still active.
   */
  async deletePods(pods: Pod[], expect: boolean): Promise<Pod[]> {
    if (pods.length === 0) return [];
    const client = this.ctx.client.resource<Pod>(PODS);
    if (expect)
      this.expectations.expectDeletions(
        this.key,
        pods.map((p) => p.metadata.uid!),
      );
    const results = await Promise.allSettled(
      pods.map((p) =>
        client.delete(p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } }),
      ),
    );
    const left: Pod[] = [];
    let failure: unknown;
    results.forEach((r, i) => {
      const pod = pods[i];
      if (r.status === 'fulfilled') {
        void this.ctx.events.record(asJob(this.job), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        return;
      }
      if (expect) this.expectations.deletionObserved(this.key, pod.metadata.uid!);
      if (isNotFound(r.reason) || isConflict(r.reason)) return; // gone already
      left.push(pod);
      failure ??= r.reason;
    });
    if (failure)
      void this.ctx.events.record(
        asJob(this.job),
        'Warning',
        'FailedDelete',
        `Error deleting: ${errorMessage(failure)}`,
      );
    return left;
  }
}

/** Which active pods go first: unscheduled, then not ready, then the newest (upstream's ActivePods order). */
function deletionOrder(a: Pod, b: Pod): number {
  const scheduled = (p: Pod) => (p.spec.nodeName !== undefined ? 1 : 0);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  return (
    scheduled(a) - scheduled(b) ||
    ready(a) - ready(b) ||
    Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '')
  );
}
