import { APPS_V1_KINDS } from './apps-v1.messages';
import { AUTHENTICATION_V1_KINDS } from './authentication-v1.messages';
import { AUTHORIZATION_V1_KINDS } from './authorization-v1.messages';
import { AUTOSCALING_V1_KINDS } from './autoscaling-v1.messages';
import { BATCH_V1_KINDS } from './batch-v1.messages';
import { COORDINATION_V1_KINDS } from './coordination-v1.messages';
import { CORE_V1_KINDS } from './core-v1.messages';
import { MessageDef } from './message-def';
import { META_V1_OPTION_KINDS } from './meta-v1.messages';
import { NETWORKING_V1_KINDS } from './networking-v1.messages';
import { POLICY_V1_KINDS, POLICY_V1BETA1_KINDS } from './policy-v1.messages';
import { RBAC_V1_KINDS } from './rbac-v1.messages';
import { SCHEDULING_V1_KINDS } from './scheduling-v1.messages';

// Message tables by group version and kind; a kind without a table is rejected rather than guessed.
const KINDS_BY_GROUP_VERSION: Readonly<Record<string, Readonly<Record<string, MessageDef>>>> = {
  v1: CORE_V1_KINDS,
  'apps/v1': APPS_V1_KINDS,
  'batch/v1': BATCH_V1_KINDS,
  'networking.k8s.io/v1': NETWORKING_V1_KINDS,
  'autoscaling/v1': AUTOSCALING_V1_KINDS,
  'coordination.k8s.io/v1': COORDINATION_V1_KINDS,
  'authentication.k8s.io/v1': AUTHENTICATION_V1_KINDS,
  'policy/v1': POLICY_V1_KINDS,
  'policy/v1beta1': POLICY_V1BETA1_KINDS,
  'scheduling.k8s.io/v1': SCHEDULING_V1_KINDS,
  'authorization.k8s.io/v1': AUTHORIZATION_V1_KINDS,
  'rbac.authorization.k8s.io/v1': RBAC_V1_KINDS,
};

export function messageDefFor(apiVersion: string, kind: string): MessageDef | undefined {
  if (Object.hasOwn(META_V1_OPTION_KINDS, kind)) return META_V1_OPTION_KINDS[kind];
  const kinds = Object.hasOwn(KINDS_BY_GROUP_VERSION, apiVersion) ? KINDS_BY_GROUP_VERSION[apiVersion] : undefined;
  return kinds && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}
