import { bool, fieldsV1, i32, i64, list, mapOf, MessageDef, msg, ptr, req, str, time } from './message-def';

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto

export const OwnerReference: MessageDef = {
  5: ['apiVersion', req(str)],
  1: ['kind', req(str)],
  3: ['name', req(str)],
  4: ['uid', req(str)],
  6: ['controller', ptr(bool)],
  7: ['blockOwnerDeletion', ptr(bool)],
};

export const ManagedFieldsEntry: MessageDef = {
  1: ['manager', str],
  2: ['operation', str],
  3: ['apiVersion', str],
  4: ['time', time],
  6: ['fieldsType', str],
  7: ['fieldsV1', fieldsV1],
  8: ['subresource', str],
};

export const ObjectMeta: MessageDef = {
  1: ['name', str],
  2: ['generateName', str],
  3: ['namespace', str],
  4: ['selfLink', str],
  5: ['uid', str],
  6: ['resourceVersion', str],
  7: ['generation', i64],
  8: ['creationTimestamp', time],
  9: ['deletionTimestamp', time],
  10: ['deletionGracePeriodSeconds', ptr(i64)],
  11: ['labels', mapOf(str)],
  12: ['annotations', mapOf(str)],
  13: ['ownerReferences', list(msg(OwnerReference))],
  14: ['finalizers', list(str)],
  17: ['managedFields', list(msg(ManagedFieldsEntry))],
};

export const ListMeta: MessageDef = {
  1: ['selfLink', str],
  2: ['resourceVersion', str],
  3: ['continue', str],
  4: ['remainingItemCount', ptr(i64)],
};

export const LabelSelectorRequirement: MessageDef = {
  1: ['key', req(str)],
  2: ['operator', req(str)],
  3: ['values', list(str)],
};

export const LabelSelector: MessageDef = {
  1: ['matchLabels', mapOf(str)],
  2: ['matchExpressions', list(msg(LabelSelectorRequirement))],
};

export const Condition: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
  3: ['observedGeneration', i64],
  4: ['lastTransitionTime', time],
  5: ['reason', req(str)],
  6: ['message', req(str)],
};

export const Preconditions: MessageDef = {
  1: ['uid', ptr(str)],
  2: ['resourceVersion', ptr(str)],
};

export const DeleteOptions: MessageDef = {
  1: ['gracePeriodSeconds', ptr(i64)],
  2: ['preconditions', msg(Preconditions)],
  3: ['orphanDependents', ptr(bool)],
  4: ['propagationPolicy', ptr(str)],
  5: ['dryRun', list(str)],
  6: ['ignoreStoreReadErrorWithClusterBreakingPotential', ptr(bool)],
};

export const CreateOptions: MessageDef = {
  1: ['dryRun', list(str)],
  3: ['fieldManager', str],
  4: ['fieldValidation', str],
};

export const UpdateOptions: MessageDef = {
  1: ['dryRun', list(str)],
  2: ['fieldManager', str],
  3: ['fieldValidation', str],
};

export const PatchOptions: MessageDef = {
  1: ['dryRun', list(str)],
  2: ['force', ptr(bool)],
  3: ['fieldManager', str],
  4: ['fieldValidation', str],
};

export const StatusCause: MessageDef = {
  1: ['reason', str],
  2: ['message', str],
  3: ['field', str],
};

export const StatusDetails: MessageDef = {
  1: ['name', str],
  2: ['group', str],
  3: ['kind', str],
  6: ['uid', str],
  4: ['causes', list(msg(StatusCause))],
  5: ['retryAfterSeconds', i32],
};

export const Status: MessageDef = {
  1: ['metadata', msg(ListMeta)],
  2: ['status', str],
  3: ['message', str],
  4: ['reason', str],
  5: ['details', msg(StatusDetails)],
  6: ['code', i32],
};

// Options kinds are registered in every group version upstream, so they are looked up by kind alone.
export const META_V1_OPTION_KINDS: Readonly<Record<string, MessageDef>> = {
  DeleteOptions,
  CreateOptions,
  UpdateOptions,
  PatchOptions,
};
