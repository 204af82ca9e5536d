import { bool, i64, list, MessageDef, msg, ptr, req, str, time } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/authentication/v1/generated.proto
// `kubectl create token` posts a TokenRequest to serviceaccounts/<name>/token.
export const BoundObjectReference: MessageDef = {
  1: ['kind', str],
  2: ['apiVersion', str],
  3: ['name', str],
  4: ['uid', str],
};

export const TokenRequestSpec: MessageDef = {
  1: ['audiences', list(str)],
  4: ['expirationSeconds', ptr(i64)],
  3: ['boundObjectRef', msg(BoundObjectReference)],
};

export const TokenRequestStatus: MessageDef = {
  1: ['token', req(str)],
  2: ['expirationTimestamp', time],
};

export const TokenRequest: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(TokenRequestSpec)],
  3: ['status', msg(TokenRequestStatus)],
};

// `kubectl auth whoami` posts an empty SelfSubjectReview.
export const UserInfo: MessageDef = {
  1: ['username', str],
  2: ['uid', str],
  3: ['groups', list(str)],
};

export const SelfSubjectReviewStatus: MessageDef = {
  1: ['userInfo', msg(UserInfo)],
};

export const SelfSubjectReview: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['status', msg(SelfSubjectReviewStatus)],
};

// A TokenReview asks whether a token is valid (webhook token authenticators, kube-rbac-proxy).
export const TokenReviewSpec: MessageDef = {
  1: ['token', str],
  2: ['audiences', list(str)],
};

export const TokenReviewStatus: MessageDef = {
  1: ['authenticated', bool],
  2: ['user', msg(UserInfo)],
  3: ['error', str],
  4: ['audiences', list(str)],
};

export const TokenReview: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(TokenReviewSpec)],
  3: ['status', msg(TokenReviewStatus)],
};

export const AUTHENTICATION_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  TokenRequest,
  SelfSubjectReview,
  TokenReview,
};
