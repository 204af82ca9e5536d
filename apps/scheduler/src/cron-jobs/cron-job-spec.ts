import { isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { JOBS } from '@skiff/controller-runtime';
import { finishedCondition, jobStatusOf } from '../jobs/job-spec';

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion?: string;
}

export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

/** The fields of a (defaulted) batch/v1 CronJobSpec the controller reads. */
export interface CronJobSpecView {
  schedule: string;
  timeZone?: string;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  suspend: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate: JsonObject;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export function cronJobSpecOf(cj: KubeObject): CronJobSpecView {
  const s = isJsonObject(cj.spec) ? cj.spec : {};
  const policy = s.concurrencyPolicy === 'Forbid' || s.concurrencyPolicy === 'Replace' ? s.concurrencyPolicy : 'Allow';
  return {
    schedule: typeof s.schedule === 'string' ? s.schedule : '',
    timeZone: typeof s.timeZone === 'string' && s.timeZone !== '' ? s.timeZone : undefined,
    concurrencyPolicy: policy,
    startingDeadlineSeconds: num(s.startingDeadlineSeconds),
    suspend: s.suspend === true,
    successfulJobsHistoryLimit: num(s.successfulJobsHistoryLimit),
    failedJobsHistoryLimit: num(s.failedJobsHistoryLimit),
    jobTemplate: isJsonObject(s.jobTemplate) ? s.jobTemplate : {},
  };
}

export function refTo(job: KubeObject): ObjectReference {
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
export function jobsToDelete(jobs: readonly KubeObject[], spec: CronJobSpecView): KubeObject[] {
  const started = (j: KubeObject) => Date.parse(jobStatusOf(j).startTime ?? j.metadata.creationTimestamp ?? '') || 0;
  const pick = (type: 'Complete' | 'Failed', limit: number | undefined): KubeObject[] => {
    if (limit === undefined) return [];
    const finished = jobs
      .filter((j) => finishedCondition(jobStatusOf(j))?.type === type)
      .sort((a, b) => started(a) - started(b));
    return finished.slice(0, Math.max(finished.length - limit, 0));
  };
  return [...pick('Complete', spec.successfulJobsHistoryLimit), ...pick('Failed', spec.failedJobsHistoryLimit)];
}
