import { Injectable } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import {
  ControllerContext,
  ControllerExpectations,
  controllerRefOf,
  Informer,
  JOBS,
  objectKey,
  PODS,
  ReconcileResult,
  splitKey,
  Controller,
} from '@skiff/controller-runtime';
import { isConflict, isNotFound } from '@skiff/kube-client';
import type { Job, JobStatus, Pod } from '@skiff/kube-types';
import { isPodActive, isPodReady, podPhase } from '../controllers/pod-conditions';
import { matchPodFailurePolicy } from './job-failure-policy';
import { formatIndexes, parseIndexes, podIndexOf } from './job-indexes';
import { JobPodManager } from './job-pod-manager';
import {
  backoffDelayMs,
  backoffUntil,
  hasTrackingFinalizer,
  isPodFailed,
  isPodFinished,
  isPodSucceeded,
  isPodTerminating,
  podFinishedAt,
} from './job-pods';
import {
  asJob,
  finishedCondition,
  hasTrueCondition,
  JOB_TRACKING_FINALIZER,
  jobSpecOf,
  JobSpecView,
  jobStatusOf,
  rfc3339,
  setCondition,
} from './job-spec';

/** What a reconcile learnt from pods that finished since the last look. */
interface Tally {
  status: JobStatus;
  changed: boolean;
  /** Finished pods whose tracking finalizer can go: their result is in status (or does not count). */
  release: Pod[];
  /** Pods counted for the first time, in the order they finished (for the backoff record). */
  counted: { pod: Pod; failed: boolean }[];
}

/** Upstream's backoffRecord: failures since the last success, kept after the failed pods are gone. */
interface BackoffRecord {
  failures: number;
  lastFailure: number;
}

/**
 * Runs Jobs to completion (pkg/controller/job): keeps up to `parallelism` pods running until
 * `completions` succeed (per index for Indexed Jobs), retries failures with exponential backoff
 * up to `backoffLimit`, honours podFailurePolicy, activeDeadlineSeconds and suspend, and
 * deletes finished Jobs after ttlSecondsAfterFinished. Finished pods are counted through the
 * batch.kubernetes.io/job-tracking finalizer: a pod's result goes into status
 * (uncountedTerminatedPods) before its finalizer is removed, so none is lost or counted twice.
 */
@Injectable()
export class JobReconciler implements Controller {
  readonly name = 'job-controller';
  readonly workers = 5;
  private expectations = new ControllerExpectations();
  // Pods whose finalizer this term removed, until the cache shows it (upstream's finalizer expectations).
  private released = new Set<string>();
  private backoffs = new Map<string, BackoffRecord>();
  private jobs!: Informer<Job>;
  private pods!: Informer<Pod>;

  constructor(private readonly clock: Clock) {}

  begin(ctx: ControllerContext): void {
    this.expectations = new ControllerExpectations(() => this.clock.nowMs());
    this.released = new Set();
    this.backoffs = new Map();
    this.jobs = ctx.informers.get<Job>(JOBS);
    this.pods = ctx.informers.get<Pod>(PODS);
    this.jobs.on('add', (job) => ctx.enqueue(objectKey(job)));
    this.jobs.on('update', (job) => ctx.enqueue(objectKey(job)));
    this.jobs.on('delete', (job) => {
      this.expectations.forget(objectKey(job));
      this.backoffs.delete(objectKey(job));
      ctx.enqueue(objectKey(job));
    });
    const observe = (pod: Pod, gone: boolean): void => {
      const owner = jobKeyOf(pod);
      if (!owner) return;
      if (gone || !hasTrackingFinalizer(pod)) this.released.delete(pod.metadata.uid!);
      if (gone || pod.metadata.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata.uid!);
      ctx.enqueue(owner);
    };
    this.pods.on('add', (pod) => {
      const owner = jobKeyOf(pod);
      if (owner && !pod.metadata.deletionTimestamp) this.expectations.creationObserved(owner);
      observe(pod, false);
    });
    this.pods.on('update', (pod) => observe(pod, false));
    this.pods.on('delete', (pod) => observe(pod, true));
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.get(namespace, name);
    const named = this.pods.list().filter((p) => p.metadata.namespace === namespace && jobKeyOf(p) === key);
    const pods = named.filter((p) => controllerRefOf(p)?.uid === cached?.metadata.uid);
    // Pods of a Job that is gone (or an older Job of the same name) must not stay stuck on our finalizer.
    await this.release(
      ctx,
      named.filter((p) => !pods.includes(p) && hasTrackingFinalizer(p)),
    );
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const now = this.clock.nowMs();
    if (cached.metadata.deletionTimestamp || finishedCondition(jobStatusOf(cached))) {
      await this.release(ctx, pods.filter(hasTrackingFinalizer));
      return cached.metadata.deletionTimestamp ? undefined : this.expireAfterTtl(ctx, cached, now);
    }
    const spec = jobSpecOf(cached);
    let job = cached;
    const tally = this.tallyFinishedPods(job, spec, pods, now);
    if (tally.changed) {
      job = await this.writeStatus(ctx, job, tally.status);
      this.recordBackoff(key, tally.counted, now);
    }
    await this.release(ctx, tally.release);
    return this.converge(ctx, key, job, spec, pods, now);
  }

  /** Step 1: results of newly finished pods go into uncountedTerminatedPods (and completedIndexes). */
  private tallyFinishedPods(job: Job, spec: JobSpecView, pods: Pod[], now: number): Tally {
    const status = jobStatusOf(job);
    const succeeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
    const failed = new Set(status.uncountedTerminatedPods?.failed ?? []);
    const completed = spec.indexed ? parseIndexes(status.completedIndexes, spec.completions ?? 0) : undefined;
    const release: Pod[] = [];
    const counted: Tally['counted'] = [];
    let changed = false;
    let failJob: string | undefined;
    for (const pod of pods) {
      const uid = pod.metadata.uid!;
      if (!hasTrackingFinalizer(pod) || this.released.has(uid)) continue;
      if (succeeded.has(uid) || failed.has(uid)) {
        release.push(pod);
      } else if (isPodSucceeded(pod)) {
        succeeded.add(uid);
        changed = true;
        release.push(pod);
        counted.push({ pod, failed: false });
        const ix = podIndexOf(pod);
        if (completed && ix !== undefined && ix < (spec.completions ?? 0)) completed.add(ix);
      } else if (isPodFailed(pod, spec) || (spec.suspend && isPodTerminating(pod))) {
        release.push(pod);
        // Pods removed because the Job was suspended are not failures.
        if (spec.suspend && podPhase(pod) !== 'Failed') continue;
        const match = podPhase(pod) === 'Failed' ? matchPodFailurePolicy(spec.podFailureRules, pod) : undefined;
        if (match?.action === 'Ignore') continue;
        if (match?.action === 'FailJob') failJob ??= match.message;
        failed.add(uid);
        changed = true;
        counted.push({ pod, failed: true });
      }
    }
    if (changed) {
      status.uncountedTerminatedPods = { succeeded: [...succeeded], failed: [...failed] };
      if (completed) status.completedIndexes = formatIndexes(completed);
      // The verdict is written together with the pods that caused it: it cannot be lost once they are released.
      if (failJob && !hasTrueCondition(status, 'FailureTarget')) {
        setCondition(
          status,
          { type: 'FailureTarget', status: 'True', reason: 'PodFailurePolicy', message: failJob },
          rfc3339(now),
        );
      }
    }
    counted.sort((a, b) => podFinishedAt(a.pod) - podFinishedAt(b.pod));
    return { status, changed, release, counted };
  }

  /** Step 3: fold released pods into the counters, decide success or failure, and run pods. */
  private async converge(
    ctx: ControllerContext,
    key: string,
    job: Job,
    spec: JobSpecView,
    pods: Pod[],
    now: number,
  ): Promise<ReconcileResult | void> {
    const status = jobStatusOf(job);
    const stamp = rfc3339(now);
    const held = new Set(
      pods.filter((p) => hasTrackingFinalizer(p) && !this.released.has(p.metadata.uid!)).map((p) => p.metadata.uid!),
    );
    const uncounted = {
      succeeded: status.uncountedTerminatedPods?.succeeded ?? [],
      failed: status.uncountedTerminatedPods?.failed ?? [],
    };
    const completed = spec.indexed ? parseIndexes(status.completedIndexes, spec.completions ?? 0) : undefined;
    status.succeeded = completed
      ? completed.size
      : (status.succeeded ?? 0) + uncounted.succeeded.filter((u) => !held.has(u)).length;
    status.failed = (status.failed ?? 0) + uncounted.failed.filter((u) => !held.has(u)).length;
    status.uncountedTerminatedPods = {
      succeeded: uncounted.succeeded.filter((u) => held.has(u)),
      failed: uncounted.failed.filter((u) => held.has(u)),
    };
    const pendingUncounted =
      status.uncountedTerminatedPods.succeeded!.length + status.uncountedTerminatedPods.failed!.length;
    const succeededTotal = status.succeeded + (completed ? 0 : status.uncountedTerminatedPods.succeeded!.length);
    const failedTotal = status.failed + status.uncountedTerminatedPods.failed!.length;

    let active = pods.filter(isPodActive);
    const manager = new JobPodManager(ctx, this.expectations, key, job, spec);
    let requeueAfterMs: number | undefined;
    if (!hasTrueCondition(status, 'FailureTarget') && !hasTrueCondition(status, 'SuccessCriteriaMet')) {
      const deadline =
        spec.activeDeadlineSeconds !== undefined && status.startTime
          ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000
          : undefined;
      if (failedTotal > spec.backoffLimit) {
        setCondition(
          status,
          {
            type: 'FailureTarget',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
          stamp,
        );
      } else if (!spec.suspend && deadline !== undefined && now >= deadline) {
        setCondition(
          status,
          {
            type: 'FailureTarget',
            status: 'True',
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          },
          stamp,
        );
      } else if (isSuccess(spec, succeededTotal, completed, active.length)) {
        setCondition(
          status,
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          },
          stamp,
        );
      } else if (!spec.suspend && deadline !== undefined) {
        requeueAfterMs = deadline - now;
      }
    }

    const failing = status.conditions?.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    const succeeding = hasTrueCondition(status, 'SuccessCriteriaMet');
    if (failing || succeeding) {
      // No new pods; the rest are stopped, and the terminal condition waits until they are gone.
      active = await manager.deletePods(active, false);
      const terminating = pods.some(isPodTerminating);
      if (active.length === 0 && !terminating && pendingUncounted === 0) {
        if (failing) {
          setCondition(
            status,
            { type: 'Failed', status: 'True', reason: failing.reason, message: failing.message },
            stamp,
          );
          void ctx.events.record(asJob(job), 'Warning', failing.reason ?? 'Failed', failing.message ?? '');
        } else {
          setCondition(
            status,
            {
              type: 'Complete',
              status: 'True',
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
            },
            stamp,
          );
          status.completionTime = stamp;
          void ctx.events.record(asJob(job), 'Normal', 'Completed', 'Job completed');
        }
      }
    } else if (spec.suspend) {
      active = await manager.deletePods(active, false);
      if (
        setCondition(
          status,
          { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' },
          stamp,
        )
      ) {
        void ctx.events.record(asJob(job), 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (hasTrueCondition(status, 'Suspended')) {
        setCondition(
          status,
          { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' },
          stamp,
        );
        void ctx.events.record(asJob(job), 'Normal', 'Resumed', 'Job resumed');
        // activeDeadlineSeconds counts from the resume, as upstream.
        status.startTime = stamp;
      }
      status.startTime ??= stamp;
      // Failures the podFailurePolicy ignores do not back off either.
      const ignored = (p: Pod) =>
        podPhase(p) === 'Failed' && matchPodFailurePolicy(spec.podFailureRules, p)?.action === 'Ignore';
      const fromPods = backoffUntil(
        pods.filter((p) => (isPodFinished(p) || isPodFailed(p, spec)) && !ignored(p)),
        spec,
      );
      const record = this.backoffs.get(key);
      const fromRecord =
        record && record.failures > 0 ? record.lastFailure + backoffDelayMs(record.failures) : undefined;
      const backoff =
        fromPods === undefined && fromRecord === undefined ? undefined : Math.max(fromPods ?? 0, fromRecord ?? 0);
      const mayCreate = backoff === undefined || backoff <= now;
      if (!mayCreate) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, backoff - now);
      active = await manager.manage(active, succeededTotal, completed, mayCreate);
    }
    status.active = active.length;
    status.ready = active.filter(isPodReady).length;
    status.terminating = pods.filter(isPodTerminating).length;
    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) await this.writeStatus(ctx, job, status);
    return requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(requeueAfterMs, 0) + 100 } : undefined;
  }

  private recordBackoff(key: string, counted: Tally['counted'], now: number): void {
    if (counted.length === 0) return;
    const record = this.backoffs.get(key) ?? { failures: 0, lastFailure: 0 };
    for (const { pod, failed } of counted) {
      if (!failed) {
        record.failures = 0;
        continue;
      }
      record.failures++;
      record.lastFailure = Math.max(record.lastFailure, podFinishedAt(pod) || now);
    }
    this.backoffs.set(key, record);
  }

  /** Removes the tracking finalizer; a JSON patch tests it is still where we saw it. */
  private async release(ctx: ControllerContext, pods: Pod[]): Promise<void> {
    const client = ctx.client.resource<Pod>(PODS);
    await Promise.all(
      pods.map(async (pod) => {
        const at = pod.metadata.finalizers?.indexOf(JOB_TRACKING_FINALIZER) ?? -1;
        if (at < 0) return;
        const path = `/metadata/finalizers/${at}`;
        try {
          await client.patch(
            pod.metadata.namespace,
            pod.metadata.name!,
            [
              { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
              { op: 'test', path, value: JOB_TRACKING_FINALIZER },
              { op: 'remove', path },
            ],
            'json',
          );
          this.released.add(pod.metadata.uid!);
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
      }),
    );
  }

  private async writeStatus(ctx: ControllerContext, job: Job, status: JobStatus): Promise<Job> {
    try {
      return await ctx.client.resource<Job>(JOBS).updateStatus(job.metadata.namespace, { ...job, status });
    } catch (err) {
      if (isConflict(err)) throw new Error(`job ${objectKey(job)} changed meanwhile; looking again`);
      throw err;
    }
  }

  /** ttlSecondsAfterFinished (the TTL-after-finished controller): delete in the background, pods go with the garbage collector. */
  private async expireAfterTtl(ctx: ControllerContext, job: Job, now: number): Promise<ReconcileResult | void> {
    const ttl = jobSpecOf(job).ttlSecondsAfterFinished;
    const status = jobStatusOf(job);
    const finishedAt = Date.parse(status.completionTime ?? finishedCondition(status)?.lastTransitionTime ?? '');
    if (ttl === undefined || Number.isNaN(finishedAt)) return;
    const remaining = finishedAt + ttl * 1000 - now;
    if (remaining > 0) return { requeueAfterMs: remaining + 100 };
    try {
      await ctx.client.resource(JOBS).delete(job.metadata.namespace, job.metadata.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

function isSuccess(
  spec: JobSpecView,
  succeeded: number,
  completed: ReadonlySet<number> | undefined,
  active: number,
): boolean {
  if (completed) return completed.size >= (spec.completions ?? 0);
  // Without completions (a work queue) the Job is done once one pod succeeded and none is left running.
  if (spec.completions === undefined) return succeeded > 0 && active === 0;
  return succeeded >= spec.completions;
}

function jobKeyOf(pod: Pod): string | undefined {
  const ref = controllerRefOf(pod);
  return ref?.kind === 'Job' && ref.apiVersion.startsWith('batch/')
    ? `${pod.metadata.namespace}/${ref.name}`
    : undefined;
}
