import { i32, i64, intOrString, list, mapOf, MessageDef, msg, req, str, time } from './message-def';
import { Condition, DeleteOptions, LabelSelector, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/policy/v1/generated.proto

export const PodDisruptionBudgetSpec: MessageDef = {
  1: ['minAvailable', intOrString],
  2: ['selector', msg(LabelSelector)],
  3: ['maxUnavailable', intOrString],
  4: ['unhealthyPodEvictionPolicy', str],
};

export const PodDisruptionBudgetStatus: MessageDef = {
  1: ['observedGeneration', i64],
  2: ['disruptedPods', mapOf(time)],
  3: ['disruptionsAllowed', req(i32)],
  4: ['currentHealthy', req(i32)],
  5: ['desiredHealthy', req(i32)],
  6: ['expectedPods', req(i32)],
  7: ['conditions', list(msg(Condition))],
};

export const PodDisruptionBudget: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(PodDisruptionBudgetSpec)],
  3: ['status', msg(PodDisruptionBudgetStatus)],
};

// The body of POST pods/<name>/eviction; v1beta1's message has the same fields and numbers.
export const Eviction: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['deleteOptions', msg(DeleteOptions)],
};

export const POLICY_V1_KINDS: Readonly<Record<string, MessageDef>> = { PodDisruptionBudget, Eviction };
export const POLICY_V1BETA1_KINDS: Readonly<Record<string, MessageDef>> = { Eviction };
