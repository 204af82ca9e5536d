import { i32, MessageDef, microTime, msg, ptr, str } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/coordination/v1/generated.proto
export const LeaseSpec: MessageDef = {
  1: ['holderIdentity', ptr(str)],
  2: ['leaseDurationSeconds', ptr(i32)],
  3: ['acquireTime', microTime],
  4: ['renewTime', microTime],
  5: ['leaseTransitions', ptr(i32)],
  6: ['strategy', ptr(str)],
  7: ['preferredHolder', ptr(str)],
};

export const Lease: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(LeaseSpec)],
};

export const COORDINATION_V1_KINDS: Readonly<Record<string, MessageDef>> = { Lease };
