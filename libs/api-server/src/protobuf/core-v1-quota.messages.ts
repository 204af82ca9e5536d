import { list, mapOf, MessageDef, msg, quantity, req, str } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/core/v1/generated.proto: ResourceQuota, which `kubectl create quota` sends.

export const ScopedResourceSelectorRequirement: MessageDef = {
  1: ['scopeName', req(str)],
  2: ['operator', req(str)],
  3: ['values', list(str)],
};

export const ScopeSelector: MessageDef = {
  1: ['matchExpressions', list(msg(ScopedResourceSelectorRequirement))],
};

export const ResourceQuotaSpec: MessageDef = {
  1: ['hard', mapOf(quantity)],
  2: ['scopes', list(str)],
  3: ['scopeSelector', msg(ScopeSelector)],
};

export const ResourceQuotaStatus: MessageDef = {
  1: ['hard', mapOf(quantity)],
  2: ['used', mapOf(quantity)],
};

export const ResourceQuota: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(ResourceQuotaSpec)],
  3: ['status', msg(ResourceQuotaStatus)],
};
