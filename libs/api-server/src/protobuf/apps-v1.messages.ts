import { PodTemplateSpec } from './core-v1-pod.messages';
import { PersistentVolumeClaim } from './core-v1-volume.messages';
import { bool, i32, i64, intOrString, list, MessageDef, msg, ptr, req, str, time } from './message-def';
import { LabelSelector, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/apps/v1/generated.proto

export const RollingUpdateDeployment: MessageDef = {
  1: ['maxUnavailable', intOrString],
  2: ['maxSurge', intOrString],
};

export const DeploymentStrategy: MessageDef = {
  1: ['type', str],
  2: ['rollingUpdate', msg(RollingUpdateDeployment)],
};

export const DeploymentSpec: MessageDef = {
  1: ['replicas', ptr(i32)],
  2: ['selector', msg(LabelSelector)],
  3: ['template', msg(PodTemplateSpec)],
  4: ['strategy', msg(DeploymentStrategy)],
  5: ['minReadySeconds', i32],
  6: ['revisionHistoryLimit', ptr(i32)],
  7: ['paused', bool],
  9: ['progressDeadlineSeconds', ptr(i32)],
};

// Deployment conditions add lastUpdateTime (6) to the shape ReplicaSet, StatefulSet and DaemonSet share.
export const DeploymentCondition: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
  6: ['lastUpdateTime', time],
  7: ['lastTransitionTime', time],
  4: ['reason', str],
  5: ['message', str],
};

export const DeploymentStatus: MessageDef = {
  1: ['observedGeneration', i64],
  2: ['replicas', i32],
  3: ['updatedReplicas', i32],
  7: ['readyReplicas', i32],
  4: ['availableReplicas', i32],
  5: ['unavailableReplicas', i32],
  9: ['terminatingReplicas', ptr(i32)],
  6: ['conditions', list(msg(DeploymentCondition))],
  8: ['collisionCount', ptr(i32)],
};

export const Deployment: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(DeploymentSpec)],
  3: ['status', msg(DeploymentStatus)],
};

export const ReplicaSetSpec: MessageDef = {
  1: ['replicas', ptr(i32)],
  4: ['minReadySeconds', i32],
  2: ['selector', msg(LabelSelector)],
  3: ['template', msg(PodTemplateSpec)],
};

export const ReplicaSetCondition: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
  3: ['lastTransitionTime', time],
  4: ['reason', str],
  5: ['message', str],
};

export const ReplicaSetStatus: MessageDef = {
  1: ['replicas', req(i32)],
  2: ['fullyLabeledReplicas', i32],
  4: ['readyReplicas', i32],
  5: ['availableReplicas', i32],
  7: ['terminatingReplicas', ptr(i32)],
  3: ['observedGeneration', i64],
  6: ['conditions', list(msg(ReplicaSetCondition))],
};

export const ReplicaSet: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(ReplicaSetSpec)],
  3: ['status', msg(ReplicaSetStatus)],
};

export const RollingUpdateStatefulSetStrategy: MessageDef = {
  1: ['partition', ptr(i32)],
  2: ['maxUnavailable', intOrString],
};

export const StatefulSetUpdateStrategy: MessageDef = {
  1: ['type', str],
  2: ['rollingUpdate', msg(RollingUpdateStatefulSetStrategy)],
};

export const StatefulSetPersistentVolumeClaimRetentionPolicy: MessageDef = {
  1: ['whenDeleted', str],
  2: ['whenScaled', str],
};

export const StatefulSetOrdinals: MessageDef = {
  1: ['start', req(i32)],
};

export const StatefulSetSpec: MessageDef = {
  1: ['replicas', ptr(i32)],
  2: ['selector', msg(LabelSelector)],
  3: ['template', msg(PodTemplateSpec)],
  4: ['volumeClaimTemplates', list(msg(PersistentVolumeClaim))],
  5: ['serviceName', req(str)],
  6: ['podManagementPolicy', str],
  7: ['updateStrategy', msg(StatefulSetUpdateStrategy)],
  8: ['revisionHistoryLimit', ptr(i32)],
  9: ['minReadySeconds', i32],
  10: ['persistentVolumeClaimRetentionPolicy', msg(StatefulSetPersistentVolumeClaimRetentionPolicy)],
  11: ['ordinals', msg(StatefulSetOrdinals)],
};

export const StatefulSetStatus: MessageDef = {
  1: ['observedGeneration', i64],
  2: ['replicas', req(i32)],
  3: ['readyReplicas', i32],
  4: ['currentReplicas', i32],
  5: ['updatedReplicas', i32],
  6: ['currentRevision', str],
  7: ['updateRevision', str],
  9: ['collisionCount', ptr(i32)],
  10: ['conditions', list(msg(ReplicaSetCondition))],
  11: ['availableReplicas', req(i32)],
};

export const StatefulSet: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(StatefulSetSpec)],
  3: ['status', msg(StatefulSetStatus)],
};

export const RollingUpdateDaemonSet: MessageDef = {
  1: ['maxUnavailable', intOrString],
  2: ['maxSurge', intOrString],
};

export const DaemonSetUpdateStrategy: MessageDef = {
  1: ['type', str],
  2: ['rollingUpdate', msg(RollingUpdateDaemonSet)],
};

export const DaemonSetSpec: MessageDef = {
  1: ['selector', msg(LabelSelector)],
  2: ['template', msg(PodTemplateSpec)],
  3: ['updateStrategy', msg(DaemonSetUpdateStrategy)],
  4: ['minReadySeconds', i32],
  6: ['revisionHistoryLimit', ptr(i32)],
};

export const DaemonSetStatus: MessageDef = {
  1: ['currentNumberScheduled', req(i32)],
  2: ['numberMisscheduled', req(i32)],
  3: ['desiredNumberScheduled', req(i32)],
  4: ['numberReady', req(i32)],
  5: ['observedGeneration', i64],
  6: ['updatedNumberScheduled', i32],
  7: ['numberAvailable', i32],
  8: ['numberUnavailable', i32],
  9: ['collisionCount', ptr(i32)],
  10: ['conditions', list(msg(ReplicaSetCondition))],
};

export const DaemonSet: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(DaemonSetSpec)],
  3: ['status', msg(DaemonSetStatus)],
};

export const APPS_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  Deployment,
  ReplicaSet,
  StatefulSet,
  DaemonSet,
};
