import { JOBS } from '@skiff/controller-runtime';
import type { CronJob, CronJobSpec, Job, ObjectReference } from '@skiff/kube-types';
import { finishedCondition, jobStatusOf } from '../jobs/job-spec';

/** The fields of a (defaulted) batch/v1 CronJobSpec the controller reads. */
export interface CronJobSpecView {
  schedule: string;
  timeZone?: string;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  suspend: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate: CronJobSpec['jobTemplate'];
}

export function cronJobSpecOf(cj: CronJob): CronJobSpecView {
  const s = cj.spec;
  const policy = s.concurrencyPolicy === 'Forbid' || s.concurrencyPolicy === 'Replace' ? s.concurrencyPolicy : 'Allow';
  return {
    schedule: s.schedule,
    timeZone: s.timeZone ? s.timeZone : undefined,
    concurrencyPolicy: policy,
    startingDeadlineSeconds: s.startingDeadlineSeconds,
    suspend: s.suspend === true,
    successfulJobsHistoryLimit: s.successfulJobsHistoryLimit,
    failedJobsHistoryLimit: s.failedJobsHistoryLimit,
    jobTemplate: s.jobTemplate,
  };
}

export function refTo(job: Job): ObjectReference {
  return {
    apiVersion: JOBS.apiVersion,
    kind: JOBS.kind,
    namespace: job.metadata.namespace!,
    name: job.metadata.name!,
    uid: job.metadata.uid!,
    resourceVersion: job.metadata.resourceVersion,
  };
}

/** Finished Jobs past the history limits, oldest first (by start time, as upstream); no limit keeps all. */
export function jobsToDelete(jobs: readonly Job[], spec: CronJobSpecView): Job[] {
  const started = (j: Job) => Date.parse(jobStatusOf(j).startTime ?? j.metadata.creationTimestamp ?? '') || 0;
  const pick = (type: 'Complete' | 'Failed', limit: number | undefined): Job[] => {
    if (limit === undefined) return [];
    const finished = jobs
      .filter((j) => finishedCondition(jobStatusOf(j))?.type === type)
      .sort((a, b) => started(a) - started(b));
    return finished.slice(0, Math.max(finished.length - limit, 0));
  };
  return [...pick('Complete', spec.successfulJobsHistoryLimit), ...pick('Failed', spec.failedJobsHistoryLimit)];
}
