import { bool, list, MessageDef, msg, str } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/authorization/v1/generated.proto: what `kubectl auth can-i` (and --list) sends.
export const ResourceAttributes: MessageDef = {
  1: ['namespace', str],
  2: ['verb', str],
  3: ['group', str],
  4: ['version', str],
  5: ['resource', str],
  6: ['subresource', str],
  7: ['name', str],
};

export const NonResourceAttributes: MessageDef = {
  1: ['path', str],
  2: ['verb', str],
};

export const SubjectAccessReviewStatus: MessageDef = {
  1: ['allowed', bool],
  2: ['reason', str],
  3: ['evaluationError', str],
  4: ['denied', bool],
};

export const SelfSubjectAccessReviewSpec: MessageDef = {
  1: ['resourceAttributes', msg(ResourceAttributes)],
  2: ['nonResourceAttributes', msg(NonResourceAttributes)],
};

export const SubjectAccessReviewSpec: MessageDef = {
  1: ['resourceAttributes', msg(ResourceAttributes)],
  2: ['nonResourceAttributes', msg(NonResourceAttributes)],
  3: ['user', str],
  4: ['groups', list(str)],
  6: ['uid', str],
};

export const SelfSubjectRulesReviewSpec: MessageDef = {
  1: ['namespace', str],
};

const accessReview = (spec: MessageDef): MessageDef => ({
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(spec)],
  3: ['status', msg(SubjectAccessReviewStatus)],
});

export const AUTHORIZATION_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  SelfSubjectAccessReview: accessReview(SelfSubjectAccessReviewSpec),
  SubjectAccessReview: accessReview(SubjectAccessReviewSpec),
  LocalSubjectAccessReview: accessReview(SubjectAccessReviewSpec),
  // Its status (rules) is only ever answered, never sent.
  SelfSubjectRulesReview: { 1: ['metadata', msg(ObjectMeta)], 2: ['spec', msg(SelfSubjectRulesReviewSpec)] },
};
