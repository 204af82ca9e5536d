import { isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { JOBS } from '@skiff/controller-runtime';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
// The unprefixed labels upstream still sets for older selectors.
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet';

export interface JobCondition {
  type: JobConditionType;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

export interface JobStatus {
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: UncountedTerminatedPods;
}

export interface PodFailurePolicyRule {
  action: 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

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
  selector?: JsonObject;
  template?: JsonObject;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export function jobSpecOf(job: KubeObject): JobSpecView {
  const s = isJsonObject(job.spec) ? job.spec : {};
  const pfp =
    isJsonObject(s.podFailurePolicy) && Array.isArray(s.podFailurePolicy.rules)
      ? (s.podFailurePolicy.rules as unknown as PodFailurePolicyRule[])
      : [];
  return {
    parallelism: num(s.parallelism) ?? 1,
    completions: num(s.completions),
    indexed: s.completionMode === 'Indexed',
    backoffLimit: num(s.backoffLimit) ?? 6,
    activeDeadlineSeconds: num(s.activeDeadlineSeconds),
    ttlSecondsAfterFinished: num(s.ttlSecondsAfterFinished),
    suspend: s.suspend === true,
    manualSelector: s.manualSelector === true,
    onlyReplaceFailed: s.podReplacementPolicy === 'Failed',
    podFailureRules: pfp,
    selector: isJsonObject(s.selector) ? s.selector : undefined,
    template: isJsonObject(s.template) ? s.template : undefined,
  };
}

export function jobStatusOf(job: KubeObject): JobStatus {
  return isJsonObject(job.status) ? (structuredClone(job.status) as JobStatus) : {};
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
export function asJob(job: KubeObject): KubeObject {
  return { ...job, kind: JOBS.kind, apiVersion: JOBS.apiVersion };
}

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
