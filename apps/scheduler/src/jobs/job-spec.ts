import { LabelSelector } from '@skiff/api-machinery';
import { JOBS } from '@skiff/controller-runtime';
import type { Job, JobCondition, JobSpec, JobStatus, PodTemplateSpec } from '@skiff/kube-types';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
// The unprefixed labels upstream still sets for older selectors.
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet';

export type PodFailurePolicyRule = NonNullable<JobSpec['podFailurePolicy']>['rules'][number];

/** The fields of a (defaulted) batch/v1 JobSpec the controller reads. */
export interface JobSpecView {
  parallelism: number;
  completions?: number;
  indexed: boolean;
  backoffLimit: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  suspend: boolean;
  manualSelector: boolean;
  onlyReplaceFailed: boolean;
  podFailureRules: PodFailurePolicyRule[];
  selector?: LabelSelector;
  template?: PodTemplateSpec;
}

export function jobSpecOf(job: Job): JobSpecView {
  const s = job.spec;
  return {
    parallelism: s.parallelism ?? 1,
    completions: s.completions,
    indexed: s.completionMode === 'Indexed',
    backoffLimit: s.backoffLimit ?? 6,
    activeDeadlineSeconds: s.activeDeadlineSeconds,
    ttlSecondsAfterFinished: s.ttlSecondsAfterFinished,
    suspend: s.suspend === true,
    manualSelector: s.manualSelector === true,
    onlyReplaceFailed: s.podReplacementPolicy === 'Failed',
    podFailureRules: s.podFailurePolicy?.rules ?? [],
    selector: s.selector,
    template: s.template,
  };
}

export function jobStatusOf(job: Job): JobStatus {
  return job.status ? structuredClone(job.status) : {};
}

export function findCondition(status: JobStatus, type: JobConditionType): JobCondition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

export function hasTrueCondition(status: JobStatus, type: JobConditionType): boolean {
  return findCondition(status, type)?.status === 'True';
}

/** Complete or Failed: nothing more happens to the Job but its TTL. */
export function finishedCondition(status: JobStatus): JobCondition | undefined {
  return status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** Sets a condition; lastTransitionTime moves only when the status flips. Returns whether anything changed. */
export function setCondition(
  status: JobStatus,
  cond: Omit<JobCondition, 'lastProbeTime' | 'lastTransitionTime'>,
  now: string,
): boolean {
  const list = (status.conditions ??= []);
  const old = list.find((c) => c.type === cond.type);
  if (old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message) return false;
  const next: JobCondition = {
    ...cond,
    lastProbeTime: now,
    lastTransitionTime: old && old.status === cond.status ? old.lastTransitionTime : now,
  };
  if (old) list.splice(list.indexOf(old), 1, next);
  else list.push(next);
  return true;
}

/** Events need kind and apiVersion for involvedObject; informer objects may lack them. */
export function asJob(job: Job): Job {
  return { ...job, kind: JOBS.kind, apiVersion: JOBS.apiVersion };
}

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
