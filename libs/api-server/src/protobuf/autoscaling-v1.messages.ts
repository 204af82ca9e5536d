import { i32, i64, MessageDef, msg, ptr, req, str, time } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/autoscaling/v1/generated.proto
export const ScaleSpec: MessageDef = {
  1: ['replicas', i32],
};

export const ScaleStatus: MessageDef = {
  1: ['replicas', req(i32)],
  2: ['selector', str],
};

export const Scale: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(ScaleSpec)],
  3: ['status', msg(ScaleStatus)],
};

export const CrossVersionObjectReference: MessageDef = {
  1: ['kind', req(str)],
  2: ['name', req(str)],
  3: ['apiVersion', str],
};

export const HorizontalPodAutoscalerSpec: MessageDef = {
  1: ['scaleTargetRef', msg(CrossVersionObjectReference)],
  2: ['minReplicas', ptr(i32)],
  3: ['maxReplicas', req(i32)],
  4: ['targetCPUUtilizationPercentage', ptr(i32)],
};

export const HorizontalPodAutoscalerStatus: MessageDef = {
  1: ['observedGeneration', ptr(i64)],
  2: ['lastScaleTime', time],
  3: ['currentReplicas', req(i32)],
  4: ['desiredReplicas', req(i32)],
  5: ['currentCPUUtilizationPercentage', ptr(i32)],
};

export const HorizontalPodAutoscaler: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(HorizontalPodAutoscalerSpec)],
  3: ['status', msg(HorizontalPodAutoscalerStatus)],
};

export const AUTOSCALING_V1_KINDS: Readonly<Record<string, MessageDef>> = { Scale, HorizontalPodAutoscaler };
