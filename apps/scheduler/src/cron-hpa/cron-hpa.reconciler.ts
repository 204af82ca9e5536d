import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  Clock,
  CronSchedule,
  errorMessage,
  firesOnDayOf,
  formatRfc3339InZone,
  nextCronTime,
} from '@skiff/api-machinery';
import {
  Controller,
  ControllerContext,
  CRON_HORIZONTAL_POD_AUTOSCALERS,
  HORIZONTAL_POD_AUTOSCALERS,
  Informer,
  objectKey,
  ReconcileResult,
  splitKey,
} from '@skiff/controller-runtime';
import { isNotFound } from '@skiff/kube-client';
import type { HorizontalPodAutoscaler } from '@skiff/kube-types';
import { mostRecentScheduleTime } from '../cron-jobs/cron-job-schedule';
import { CronHorizontalPodAutoscaler, CronHpaCondition, CronHpaJob } from './cron-horizontal-pod-autoscaler';
import { CronHpaStatus, parseJobSchedule, runsOnce, submitJobs } from './cron-hpa-jobs';
import { isHpaRef, scaleThroughHpa, scaleWorkload } from './cron-hpa-target';

/**
 * A run missed while no scheduler led (restart, failover) is made up only if it is the latest one and at most this
 * old; older runs are dropped, as a cron daemon that was down drops them.
 */
export const MISSED_RUN_GRACE_MS = 60_000;
// Wake just after a fire time, never just before it.
const FIRE_DELTA_MS = 5;

/**
 * ASK's CronHPA controller (kubernetes-cronhpa-controller): each job of a CronHorizontalPodAutoscaler sets its
 * target's replicas to targetSize on a 6-field schedule (through an HPA's bounds when it targets an HPA), skipping
 * excluded days, and records each run in status.conditions and an event. No timers of its own: each look runs the
 * jobs that are due and asks to be looked at again at the next fire time.
 */
@Injectable()
export class CronHpaReconciler implements Controller {
  readonly name = 'cronhpa-controller';
  readonly workers = 3;
  private cronHpas!: Informer<CronHorizontalPodAutoscaler>;
  private hpas!: Informer<HorizontalPodAutoscaler>;
  // The latest fire time run per jobId this term: a look on a cache that has not yet seen our status runs nothing twice.
  private fired = new Map<string, number>();
  private reported = new Set<string>();

  constructor(private readonly clock: Clock) {}

  begin(ctx: ControllerContext): void {
    this.fired = new Map();
    this.reported = new Set();
    this.cronHpas = ctx.informers.get<CronHorizontalPodAutoscaler>(CRON_HORIZONTAL_POD_AUTOSCALERS);
    this.hpas = ctx.informers.get<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS);
    this.cronHpas.on('add', (c) => ctx.enqueue(objectKey(c)));
    this.cronHpas.on('update', (c) => ctx.enqueue(objectKey(c)));
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.cronHpas.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const cronHpa: CronHorizontalPodAutoscaler = {
      ...cached,
      kind: CRON_HORIZONTAL_POD_AUTOSCALERS.kind,
      apiVersion: CRON_HORIZONTAL_POD_AUTOSCALERS.apiVersion,
    };
    const now = this.clock.nowMs();
    const status = submitJobs(cronHpa, formatRfc3339InZone(new Date(now)), randomUUID);
    for (const old of cached.status?.conditions ?? [])
      if (!status.conditions?.some((c) => c.jobId === old.jobId)) this.fired.delete(old.jobId);
    const excludes = this.excludeDates(ctx, cronHpa);
    let wake: number | undefined;
    for (const [i, condition] of (status.conditions ?? []).entries()) {
      const job = cronHpa.spec.jobs.find((j) => j.name === condition.name)!;
      if (condition.state !== 'Submitted' && runsOnce(job)) continue;
      let schedule: CronSchedule;
      try {
        schedule = parseJobSchedule(job.schedule);
      } catch {
        continue; // Failed at submission, with the reason
      }
      const since = Math.max(
        Date.parse(condition.lastProbeTime) || now,
        this.fired.get(condition.jobId) ?? 0,
        now - MISSED_RUN_GRACE_MS,
      );
      const due = mostRecentScheduleTime(schedule, schedule.timeZone, since, now).mostRecent;
      if (due !== undefined) {
        this.fired.set(condition.jobId, due);
        status.conditions![i] = await this.run(ctx, cronHpa, job, condition, due, schedule, excludes);
        if (runsOnce(job)) continue;
      }
      const next = nextCronTime(schedule, new Date(now), schedule.timeZone)?.getTime();
      if (next !== undefined) wake = Math.min(wake ?? next, next);
    }
    await this.writeStatus(ctx, cronHpa, status);
    return wake === undefined ? undefined : { requeueAfterMs: Math.max(wake - this.clock.nowMs(), 0) + FIRE_DELTA_MS };
  }

  /** One run of a job: ASK's result handler writes the condition and an event named by the state. */
  private async run(
    ctx: ControllerContext,
    cronHpa: CronHorizontalPodAutoscaler,
    job: CronHpaJob,
    condition: CronHpaCondition,
    due: number,
    schedule: CronSchedule,
    excludes: { spec: string; schedule: CronSchedule }[],
  ): Promise<CronHpaCondition> {
    const namespace = cronHpa.metadata.namespace!;
    const ref = cronHpa.spec.scaleTargetRef;
    let result: CronHpaCondition;
    try {
      const excluded = excludes.find((e) =>
        firesOnDayOf(e.schedule, new Date(due), e.schedule.timeZone ?? schedule.timeZone),
      );
      let detail: string;
      if (excluded) detail = `skip scaling activity,because of excludeDate (${excluded.spec}).`;
      else if (isHpaRef(ref)) detail = await scaleThroughHpa(ctx.client, namespace, ref, job.targetSize);
      else {
        detail = await scaleWorkload(ctx.client, namespace, ref, job.targetSize);
        this.warnOfHpas(ctx, cronHpa);
      }
      result = { ...condition, state: 'Succeed', message: `cron hpa job ${job.name} executed successfully. ${detail}` };
    } catch (err) {
      result = {
        ...condition,
        state: 'Failed',
        message: `cron hpa failed to execute, because of ${errorMessage(err)}`,
      };
    }
    result.lastProbeTime = formatRfc3339InZone(new Date(this.clock.nowMs()));
    void ctx.events.record(cronHpa, result.state === 'Failed' ? 'Warning' : 'Normal', result.state, result.message);
    return result;
  }

  /** An HPA on the same workload undoes what the CronHPA sets: say so, and what to do instead. */
  private warnOfHpas(ctx: ControllerContext, cronHpa: CronHorizontalPodAutoscaler): void {
    const ref = cronHpa.spec.scaleTargetRef;
    const group = (v: string) => (v.includes('/') ? v.split('/')[0] : '');
    for (const hpa of this.hpas.list()) {
      const target = hpa.spec?.scaleTargetRef;
      if (
        hpa.metadata.namespace !== cronHpa.metadata.namespace ||
        target?.kind !== ref.kind ||
        target.name !== ref.name ||
        group(target.apiVersion ?? '') !== group(ref.apiVersion)
      )
        continue;
      void ctx.events.record(
        cronHpa,
        'Warning',
        'ConflictingHPA',
        `HorizontalPodAutoscaler ${hpa.metadata.name} also scales ${ref.kind} ${ref.name} and will override the replicas this CronHPA sets; set scaleTargetRef to the HorizontalPodAutoscaler instead`,
      );
    }
  }

  /** excludeDates that parse; one that does not is reported once per spec and left out (ASK skips it too). */
  private excludeDates(ctx: ControllerContext, cronHpa: CronHorizontalPodAutoscaler) {
    const parsed: { spec: string; schedule: CronSchedule }[] = [];
    for (const spec of cronHpa.spec.excludeDates ?? []) {
      try {
        parsed.push({ spec, schedule: parseJobSchedule(spec) });
      } catch (err) {
        const reportKey = `${cronHpa.metadata.uid}@${cronHpa.metadata.generation ?? 0}@${spec}`;
        if (this.reported.has(reportKey)) continue;
        this.reported.add(reportKey);
        void ctx.events.record(
          cronHpa,
          'Warning',
          'Failed',
          `Failed to parse excludeDate ${JSON.stringify(spec)} and skip this date, because of ${errorMessage(err)}`,
        );
      }
    }
    return parsed;
  }

  private async writeStatus(
    ctx: ControllerContext,
    cronHpa: CronHorizontalPodAutoscaler,
    status: CronHpaStatus,
  ): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(cronHpa.status ?? {})) return;
    try {
      // A merge patch, as ASK writes it: the runs already made must land even if the object moved on meanwhile.
      await ctx.client
        .resource<CronHorizontalPodAutoscaler>(CRON_HORIZONTAL_POD_AUTOSCALERS)
        .patchStatus(cronHpa.metadata.namespace, cronHpa.metadata.name!, { status }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
