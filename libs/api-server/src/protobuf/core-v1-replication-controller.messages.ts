import { PodTemplateSpec } from './core-v1-pod.messages';
import { i32, i64, list, mapOf, MessageDef, msg, ptr, req, str, time } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/core/v1/generated.proto: ReplicationController

export const ReplicationControllerSpec: MessageDef = {
  1: ['replicas', ptr(i32)],
  4: ['minReadySeconds', i32],
  2: ['selector', mapOf(str)],
  3: ['template', msg(PodTemplateSpec)],
};

export const ReplicationControllerCondition: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
  3: ['lastTransitionTime', time],
  4: ['reason', str],
  5: ['message', str],
};

export const ReplicationControllerStatus: MessageDef = {
  1: ['replicas', req(i32)],
  2: ['fullyLabeledReplicas', i32],
  4: ['readyReplicas', i32],
  5: ['availableReplicas', i32],
  3: ['observedGeneration', i64],
  6: ['conditions', list(msg(ReplicationControllerCondition))],
};

export const ReplicationController: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(ReplicationControllerSpec)],
  3: ['status', msg(ReplicationControllerStatus)],
};
