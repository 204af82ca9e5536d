import { CronSchedule, errorMessage, parseCronSchedule } from '@skiff/api-machinery';
import {
  CronHorizontalPodAutoscaler,
  CronHpaCondition,
  CronHpaJob,
  ScaleTargetRef,
} from './cron-horizontal-pod-autoscaler';

export type CronHpaStatus = NonNullable<CronHorizontalPodAutoscaler['status']>;

export function parseJobSchedule(schedule: string): CronSchedule {
  return parseCronSchedule(schedule, { seconds: true });
}

/** ASK's runOnce: the flag, or a one-shot `@date` schedule. */
export function runsOnce(job: CronHpaJob): boolean {
  return (
    job.runOnce === true ||
    job.schedule
      .trim()
      .replace(/^(CRON_)?TZ=\S+\s+/, '')
      .startsWith('@date ')
  );
}

function sameRef(a: ScaleTargetRef | undefined, b: ScaleTargetRef): boolean {
  return a?.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name;
}

function sameDates(a: string[] = [], b: string[] = []): boolean {
  return a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;
}

/**
 * ASK's reconcile of status against spec: a new scaleTargetRef or excludeDates resubmits every job (echoed into
 * status); a job whose schedule, targetSize or runOnce changed is resubmitted under a new jobId; conditions of
 * removed jobs go. A submitted job is `Submitted`, or `Failed` with the reason when its schedule does not parse.
 */
export function submitJobs(cronHpa: CronHorizontalPodAutoscaler, now: string, newJobId: () => string): CronHpaStatus {
  const spec = cronHpa.spec;
  const status: CronHpaStatus = structuredClone(cronHpa.status ?? {});
  if (!sameRef(status.scaleTargetRef, spec.scaleTargetRef) || !sameDates(status.excludeDates, spec.excludeDates)) {
    status.scaleTargetRef = { ...spec.scaleTargetRef };
    status.excludeDates = [...(spec.excludeDates ?? [])];
    status.conditions = [];
  }
  const kept = new Map((status.conditions ?? []).map((c) => [c.name, c]));
  status.conditions = (spec.jobs ?? []).map((job): CronHpaCondition => {
    const old = kept.get(job.name);
    const runOnce = job.runOnce === true;
    if (old && old.schedule === job.schedule && old.targetSize === job.targetSize && old.runOnce === runOnce)
      return old;
    const condition: CronHpaCondition = {
      name: job.name,
      jobId: newJobId(),
      schedule: job.schedule,
      targetSize: job.targetSize,
      runOnce,
      state: 'Submitted',
      lastProbeTime: now,
      message: '',
    };
    try {
      parseJobSchedule(job.schedule);
    } catch (err) {
      condition.state = 'Failed';
      condition.message = `Failed to create cron hpa job ${job.name} in ${cronHpa.metadata.name} namespace ${cronHpa.metadata.namespace},because of invalid schedule ${JSON.stringify(job.schedule)}: ${errorMessage(err)}`;
    }
    return condition;
  });
  return status;
}
