import { bool, i32, MessageDef, msg, ptr, req, str } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/scheduling/v1/generated.proto: PriorityClass, which `kubectl create priorityclass` sends.
export const PriorityClass: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  // An int32 without omitempty: 0 is kept.
  2: ['value', req(i32)],
  3: ['globalDefault', bool],
  4: ['description', str],
  5: ['preemptionPolicy', ptr(str)],
};

export const SCHEDULING_V1_KINDS: Readonly<Record<string, MessageDef>> = { PriorityClass };
