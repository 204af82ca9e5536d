import { list, MessageDef, msg, req, str } from './message-def';
import { LabelSelector, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/rbac/v1/generated.proto: what `kubectl create role|clusterrole|rolebinding|clusterrolebinding` sends.
export const PolicyRule: MessageDef = {
  1: ['verbs', list(str)],
  2: ['apiGroups', list(str)],
  3: ['resources', list(str)],
  4: ['resourceNames', list(str)],
  5: ['nonResourceURLs', list(str)],
};

export const AggregationRule: MessageDef = {
  1: ['clusterRoleSelectors', list(msg(LabelSelector))],
};

export const Subject: MessageDef = {
  1: ['kind', req(str)],
  2: ['apiGroup', str],
  3: ['name', req(str)],
  4: ['namespace', str],
};

export const RoleRef: MessageDef = {
  1: ['apiGroup', req(str)],
  2: ['kind', req(str)],
  3: ['name', req(str)],
};

export const Role: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['rules', list(msg(PolicyRule))],
};

export const ClusterRole: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['rules', list(msg(PolicyRule))],
  3: ['aggregationRule', msg(AggregationRule)],
};

const binding: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['subjects', list(msg(Subject))],
  3: ['roleRef', msg(RoleRef)],
};

export const RBAC_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  Role,
  ClusterRole,
  RoleBinding: binding,
  ClusterRoleBinding: binding,
};
