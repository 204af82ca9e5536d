import { ObjectReference } from './core-v1.messages';
import { PodTemplateSpec } from './core-v1-pod.messages';
import { bool, i32, i64, list, MessageDef, msg, ptr, req, str, time } from './message-def';
import { LabelSelector, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/batch/v1/generated.proto

export const PodFailurePolicyOnExitCodesRequirement: MessageDef = {
  1: ['containerName', ptr(str)],
  2: ['operator', req(str)],
  3: ['values', list(i32)],
};

export const PodFailurePolicyOnPodConditionsPattern: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
};

export const PodFailurePolicyRule: MessageDef = {
  1: ['action', req(str)],
  2: ['onExitCodes', msg(PodFailurePolicyOnExitCodesRequirement)],
  3: ['onPodConditions', list(msg(PodFailurePolicyOnPodConditionsPattern))],
};

export const PodFailurePolicy: MessageDef = {
  1: ['rules', list(msg(PodFailurePolicyRule))],
};

export const SuccessPolicyRule: MessageDef = {
  1: ['succeededIndexes', ptr(str)],
  2: ['succeededCount', ptr(i32)],
};

export const SuccessPolicy: MessageDef = {
  1: ['rules', list(msg(SuccessPolicyRule))],
};

export const JobSpec: MessageDef = {
  1: ['parallelism', ptr(i32)],
  2: ['completions', ptr(i32)],
  3: ['activeDeadlineSeconds', ptr(i64)],
  11: ['podFailurePolicy', msg(PodFailurePolicy)],
  16: ['successPolicy', msg(SuccessPolicy)],
  7: ['backoffLimit', ptr(i32)],
  12: ['backoffLimitPerIndex', ptr(i32)],
  13: ['maxFailedIndexes', ptr(i32)],
  4: ['selector', msg(LabelSelector)],
  5: ['manualSelector', ptr(bool)],
  6: ['template', msg(PodTemplateSpec)],
  8: ['ttlSecondsAfterFinished', ptr(i32)],
  9: ['completionMode', ptr(str)],
  10: ['suspend', ptr(bool)],
  14: ['podReplacementPolicy', ptr(str)],
  15: ['managedBy', ptr(str)],
};

export const JobCondition: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
  3: ['lastProbeTime', time],
  4: ['lastTransitionTime', time],
  5: ['reason', str],
  6: ['message', str],
};

export const UncountedTerminatedPods: MessageDef = {
  1: ['succeeded', list(str)],
  2: ['failed', list(str)],
};

export const JobStatus: MessageDef = {
  1: ['conditions', list(msg(JobCondition))],
  2: ['startTime', time],
  3: ['completionTime', time],
  4: ['active', i32],
  5: ['succeeded', i32],
  6: ['failed', i32],
  11: ['terminating', ptr(i32)],
  7: ['completedIndexes', str],
  10: ['failedIndexes', ptr(str)],
  8: ['uncountedTerminatedPods', msg(UncountedTerminatedPods)],
  9: ['ready', ptr(i32)],
};

export const Job: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(JobSpec)],
  3: ['status', msg(JobStatus)],
};

export const JobTemplateSpec: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(JobSpec)],
};

export const CronJobSpec: MessageDef = {
  1: ['schedule', req(str)],
  8: ['timeZone', ptr(str)],
  2: ['startingDeadlineSeconds', ptr(i64)],
  3: ['concurrencyPolicy', str],
  4: ['suspend', ptr(bool)],
  5: ['jobTemplate', msg(JobTemplateSpec)],
  6: ['successfulJobsHistoryLimit', ptr(i32)],
  7: ['failedJobsHistoryLimit', ptr(i32)],
};

export const CronJobStatus: MessageDef = {
  1: ['active', list(msg(ObjectReference))],
  4: ['lastScheduleTime', time],
  5: ['lastSuccessfulTime', time],
};

export const CronJob: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(CronJobSpec)],
  3: ['status', msg(CronJobStatus)],
};

export const BATCH_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  Job,
  CronJob,
};
