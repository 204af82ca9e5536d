import { Injectable } from '@nestjs/common';
import {
  Clock,
  CronSchedule,
  formatRfc3339InZone,
  KubeObject,
  parseCronSchedule,
  errorMessage,
} from '@skiff/api-machinery';
import {
  ControllerContext,
  controllerRefOf,
  CRON_JOBS,
  Informer,
  JOBS,
  newControllerRef,
  objectKey,
  ReconcileResult,
  splitKey,
  Controller,
} from '@skiff/controller-runtime';
import { isAlreadyExists, isConflict, isNotFound } from '@skiff/kube-client';
import type { CronJob, CronJobStatus, Job } from '@skiff/kube-types';
import { finishedCondition, jobStatusOf } from '../jobs/job-spec';
import { cronJobSpecOf, CronJobSpecView, jobsToDelete, refTo } from './cron-job-spec';
import { jobNameFor, mostRecentScheduleTime, nextScheduleTime, TOO_MANY_MISSED } from './cron-job-schedule';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
// Upstream's nextScheduleDelta: wake a little after the schedule time, never just before it.
const NEXT_SCHEDULE_DELTA_MS = 100;

/**
 * Starts Jobs on a cron schedule (pkg/controller/cronjob, v2): tracks the Jobs it started in
 * status.active, starts the most recent due schedule time (honouring startingDeadlineSeconds,
 * concurrencyPolicy and suspend, in spec.timeZone), keeps the configured history of finished
 * Jobs, and looks again at the next schedule time.
 */
@Injectable()
export class CronJobReconciler implements Controller {
  readonly name = 'cronjob-controller';
  readonly workers = 3;
  private cronJobs!: Informer<CronJob>;
  private jobs!: Informer<Job>;
  // Unexpected Jobs and missed times are reported once per term, not on every look.
  private reported = new Set<string>();

  constructor(private readonly clock: Clock) {}

  begin(ctx: ControllerContext): void {
    this.reported = new Set();
    this.cronJobs = ctx.informers.get<CronJob>(CRON_JOBS);
    this.jobs = ctx.informers.get<Job>(JOBS);
    const enqueueOwner = (job: Job): void => {
      const ref = controllerRefOf(job);
      if (ref?.kind === 'CronJob' && ref.apiVersion.startsWith('batch/'))
        ctx.enqueue(`${job.metadata.namespace}/${ref.name}`);
    };
    this.cronJobs.on('add', (cj) => ctx.enqueue(objectKey(cj)));
    this.cronJobs.on('update', (cj) => ctx.enqueue(objectKey(cj)));
    this.cronJobs.on('delete', (cj) => ctx.enqueue(objectKey(cj)));
    this.jobs.on('add', enqueueOwner);
    this.jobs.on('update', enqueueOwner);
    this.jobs.on('delete', enqueueOwner);
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.cronJobs.get(namespace, name);
    if (!cached) return;
    const cj: CronJob = { ...cached, kind: CRON_JOBS.kind, apiVersion: CRON_JOBS.apiVersion };
    const spec = cronJobSpecOf(cj);
    const status: CronJobStatus = cj.status ? structuredClone(cj.status) : {};
    const children = this.jobs
      .list()
      .filter((j) => j.metadata.namespace === namespace && controllerRefOf(j)?.uid === cj.metadata.uid);
    await this.syncActive(ctx, cj, status, children);
    await this.deleteOldJobs(ctx, cj, spec, status, children);
    const result = await this.startDue(ctx, cj, spec, status, children);
    await this.writeStatus(ctx, cj, status);
    return result;
  }

  /** status.active follows the Jobs: finished ones leave it (SawCompletedJob), vanished ones too. */
  private async syncActive(ctx: ControllerContext, cj: CronJob, status: CronJobStatus, children: Job[]): Promise<void> {
    const active = status.active ?? [];
    for (const job of children) {
      const inActive = active.some((r) => r.uid === job.metadata.uid);
      const done = finishedCondition(jobStatusOf(job));
      if (!inActive && !done && !this.reported.has(job.metadata.uid!)) {
        this.reported.add(job.metadata.uid!);
        void ctx.events.record(
          cj,
          'Warning',
          'UnexpectedJob',
          `Saw a job that the controller did not create or forgot: ${job.metadata.name}`,
        );
      }
      if (inActive && done) {
        status.active = (status.active ?? []).filter((r) => r.uid !== job.metadata.uid);
        void ctx.events.record(
          cj,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${job.metadata.name}, condition: ${done.type}`,
        );
      }
      const completionTime = jobStatusOf(job).completionTime;
      if (
        done?.type === 'Complete' &&
        completionTime &&
        (!status.lastSuccessfulTime || Date.parse(completionTime) > Date.parse(status.lastSuccessfulTime))
      ) {
        status.lastSuccessfulTime = completionTime;
      }
    }
    for (const ref of status.active ?? []) {
      if (children.some((j) => j.metadata.uid === ref.uid)) continue;
      // Not in the cache: ask the API server before forgetting it (the cache may lag our own create).
      try {
        const job = await ctx.client.resource<Job>(JOBS).get(ref.namespace, ref.name!);
        if (job.metadata.uid === ref.uid) continue;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      status.active = (status.active ?? []).filter((r) => r.uid !== ref.uid);
      void ctx.events.record(cj, 'Warning', 'MissingJob', `Active job went missing: ${ref.name}`);
    }
  }

  /** successfulJobsHistoryLimit / failedJobsHistoryLimit: the oldest finished Jobs go, with their pods. */
  private async deleteOldJobs(
    ctx: ControllerContext,
    cj: CronJob,
    spec: CronJobSpecView,
    status: CronJobStatus,
    children: Job[],
  ): Promise<void> {
    const victims = jobsToDelete(children, spec).filter((j) => !j.metadata.deletionTimestamp);
    for (const job of victims) {
      if (await this.deleteJob(ctx, job))
        void ctx.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
      status.active = (status.active ?? []).filter((r) => r.uid !== job.metadata.uid);
    }
  }

  /** Starts the most recent due schedule time, if policy allows; says when to look again. */
  private async startDue(
    ctx: ControllerContext,
    cj: CronJob,
    spec: CronJobSpecView,
    status: CronJobStatus,
    children: Job[],
  ): Promise<ReconcileResult | void> {
    if (cj.metadata.deletionTimestamp) return;
    let schedule: CronSchedule;
    try {
      schedule = parseCronSchedule(spec.schedule);
    } catch (err) {
      void ctx.events.record(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${errorMessage(err)}`,
      );
      return;
    }
    if (spec.timeZone && !validTimeZone(spec.timeZone)) {
      void ctx.events.record(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(spec.timeZone)}`);
      return;
    }
    if (spec.suspend) return;
    const now = this.clock.nowMs();
    const tz = spec.timeZone;
    const next = nextScheduleTime(schedule, tz, now);
    if (next === undefined) {
      // A schedule that never fires (e.g. "59 23 31 2 *"): upstream's words for it, once per spec.
      const reportKey = `${objectKey(cj)}@invalid@${cj.metadata.generation ?? 0}`;
      if (!this.reported.has(reportKey)) {
        this.reported.add(reportKey);
        void ctx.events.record(
          cj,
          'Warning',
          'InvalidSchedule',
          `invalid schedule: ${spec.schedule} : time difference between two schedules is less than 1 second`,
        );
      }
      return;
    }
    const later: ReconcileResult = { requeueAfterMs: next - now + NEXT_SCHEDULE_DELTA_MS };
    const since = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    const deadline = spec.startingDeadlineSeconds !== undefined ? now - spec.startingDeadlineSeconds * 1000 : undefined;
    const { mostRecent, missed } = mostRecentScheduleTime(schedule, tz, Math.max(since, deadline ?? since), now);
    if (mostRecent === undefined) {
      // Times that passed their starting deadline unstarted are skipped; say so once.
      const missedTime =
        deadline !== undefined && deadline > since
          ? mostRecentScheduleTime(schedule, tz, since, deadline).mostRecent
          : undefined;
      const reportKey = `${objectKey(cj)}@${missedTime}`;
      if (missedTime !== undefined && !this.reported.has(reportKey)) {
        this.reported.add(reportKey);
        void ctx.events.record(
          cj,
          'Warning',
          'MissSchedule',
          `Missed scheduled time to start a job: ${formatRfc3339InZone(new Date(missedTime), tz)}`,
        );
      }
      return later;
    }
    if (missed > TOO_MANY_MISSED) {
      void ctx.events.record(
        cj,
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    }
    const stamp = formatRfc3339InZone(new Date(mostRecent), tz);
    if (spec.startingDeadlineSeconds !== undefined && mostRecent + spec.startingDeadlineSeconds * 1000 < now) {
      void ctx.events.record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${stamp}`);
      return later;
    }
    const jobName = jobNameFor(cj.metadata.name!, mostRecent);
    if (
      (status.active ?? []).some((r) => r.name === jobName) ||
      (status.lastScheduleTime && Date.parse(status.lastScheduleTime) >= mostRecent)
    )
      return later;
    if (spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      void ctx.events.record(
        cj,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return later;
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of status.active ?? []) {
        const job = children.find((j) => j.metadata.uid === ref.uid) ?? {
          metadata: { name: ref.name, namespace: ref.namespace, uid: ref.uid },
        };
        if (await this.deleteJob(ctx, job))
          void ctx.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
      }
      status.active = [];
    }
    const created = await this.createJob(ctx, cj, spec, jobName, stamp);
    if (created) {
      status.active = [...(status.active ?? []).filter((r) => r.uid !== created.metadata.uid), refTo(created)];
    }
    status.lastScheduleTime = formatRfc3339InZone(new Date(mostRecent));
    return later;
  }

  private async createJob(
    ctx: ControllerContext,
    cj: CronJob,
    spec: CronJobSpecView,
    name: string,
    stamp: string,
  ): Promise<Job | undefined> {
    const template = spec.jobTemplate;
    const meta = template.metadata ?? {};
    const job: Job = {
      apiVersion: JOBS.apiVersion,
      kind: JOBS.kind,
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...meta.labels },
        annotations: {
          ...meta.annotations,
          [SCHEDULED_TIMESTAMP_ANNOTATION]: stamp,
        },
        ownerReferences: [newControllerRef(cj, CRON_JOBS)],
      },
      // Validation gives every served jobTemplate a spec; without one the API server refuses the Job.
      spec: structuredClone(template.spec ?? ({} as Job['spec'])),
    };
    try {
      const created = await ctx.client.resource<Job>(JOBS).create(cj.metadata.namespace, job);
      void ctx.events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) {
        void ctx.events.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
        throw err;
      }
      // Created by an earlier look whose status write was lost: ours if it is controlled by this CronJob.
      const existing = await ctx.client.resource<Job>(JOBS).get(cj.metadata.namespace, name);
      return controllerRefOf(existing)?.uid === cj.metadata.uid && !finishedCondition(jobStatusOf(existing))
        ? existing
        : undefined;
    }
  }

  private async deleteJob(ctx: ControllerContext, job: KubeObject): Promise<boolean> {
    try {
      await ctx.client.resource(JOBS).delete(job.metadata.namespace, job.metadata.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      });
      return true;
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return false;
      throw err;
    }
  }

  private async writeStatus(ctx: ControllerContext, cj: CronJob, status: CronJobStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(cj.status ?? {})) return;
    try {
      await ctx.client.resource<CronJob>(CRON_JOBS).updateStatus(cj.metadata.namespace, { ...cj, status });
    } catch (err) {
      if (isConflict(err)) throw new Error(`cronjob ${objectKey(cj)} changed meanwhile; looking again`);
      if (!isNotFound(err)) throw err;
    }
  }
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
