import { Injectable } from '@nestjs/common';
import { ApiError, KubeObject } from '@skiff/api-machinery';
import type { ClusterRole, PolicyRule, RoleBinding } from '@skiff/kube-types';
import type { UserInfo } from '../auth/request-user';
import { compactRules, compactString, goQuotedList, uncoveredRules } from './policy-rules';
import { MASTERS_RULES, RbacAuthorizer, RoleRefError, SYSTEM_MASTERS } from './rbac-authorizer';
import { RBAC_GROUP, RbacPolicyCache } from './rbac-policy.cache';

/** What an RBAC write is about: the resource, its namespace ('' for cluster-scoped) and the user writing. */
export interface RbacWrite {
  resource: string;
  namespace: string;
  user?: UserInfo;
}

/**
 * Escalation prevention (pkg/registry/rbac/*\/policybased): a role may only hold rules its writer
 * holds unless they may `escalate`; a binding may only grant a role whose rules the writer holds
 * unless they may `bind` it. system:masters and the API server itself are exempt.
 */
@Injectable()
export class RbacEscalationCheck {
  constructor(private readonly policy: RbacPolicyCache) {}

  /** The check for a write (old is the stored object on update), or undefined when there is nothing to check. */
  async prepare(write: RbacWrite): Promise<((obj: KubeObject, old?: KubeObject) => void) | undefined> {
    const { user } = write;
    if (!user || user.groups.includes(SYSTEM_MASTERS)) return undefined;
    const authorizer = await this.policy.authorizer();
    return (obj, old) => {
      if (old && sameGrant(obj, old)) return;
      const name = obj.metadata.name ?? '';
      const refuse = (message: string): never => {
        throw ApiError.forbidden({ group: RBAC_GROUP, resource: write.resource, name }, message);
      };
      switch (write.resource) {
        case 'roles':
        case 'clusterroles': {
          const escalate = {
            resourceRequest: true as const,
            verb: 'escalate',
            apiGroup: RBAC_GROUP,
            resource: write.resource,
            name,
          };
          if (
            authorizer.authorize(user, write.namespace ? { ...escalate, namespace: write.namespace } : escalate).allowed
          )
            return;
          const missing = missingRules(authorizer, user, write.namespace, rulesOf(obj));
          if (missing) refuse(missing);
          if ((obj as ClusterRole).aggregationRule && missingRules(authorizer, user, write.namespace, MASTERS_RULES))
            refuse('must have cluster-admin privileges to use the aggregationRule');
          return;
        }
        case 'rolebindings':
        case 'clusterrolebindings': {
          const ref = (obj as RoleBinding).roleRef as RoleBinding['roleRef'] | undefined;
          // A malformed binding is left to validation's 422.
          if (!ref || typeof ref.name !== 'string') return;
          const resource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : undefined;
          const bind = {
            resourceRequest: true as const,
            verb: 'bind',
            apiGroup: ref.apiGroup || RBAC_GROUP,
            resource: resource ?? '',
            name: ref.name,
          };
          if (
            resource &&
            authorizer.authorize(user, write.namespace ? { ...bind, namespace: write.namespace } : bind).allowed
          )
            return;
          let rules: PolicyRule[] = [];
          try {
            rules = authorizer.roleRefRules(ref, write.namespace);
          } catch (err) {
            if (!(err instanceof RoleRefError)) throw err;
            refuse(err.message);
          }
          const missing = missingRules(authorizer, user, write.namespace, rules);
          if (missing) refuse(missing);
          return;
        }
      }
    };
  }
}

/** ConfirmNoEscalation: upstream's message naming what the user does not hold, or undefined. */
function missingRules(
  authorizer: RbacAuthorizer,
  user: UserInfo,
  namespace: string,
  rules: readonly PolicyRule[],
): string | undefined {
  const owner = authorizer.rulesFor(user, namespace);
  const missing = uncoveredRules(owner.rules, rules);
  if (missing.length === 0) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
  if (owner.errors.length > 0) msg += `; resolution errors: [${owner.errors.join(' ')}]`;
  return msg;
}

// Rules as validation will accept them; anything malformed is left to its 422.
function rulesOf(obj: KubeObject): PolicyRule[] {
  const rules = (obj as ClusterRole).rules as unknown;
  if (!Array.isArray(rules)) return [];
  const strings = (v: unknown): boolean =>
    v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  return rules.filter(
    (r): r is PolicyRule =>
      typeof r === 'object' &&
      r !== null &&
      Array.isArray((r as PolicyRule).verbs) &&
      ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'].every((k) =>
        strings((r as Record<string, unknown>)[k]),
      ),
  );
}

// IsOnlyMutatingGCFields, roughly: an update that changes nothing but owner references, finalizers and
// server-kept metadata grants nothing new.
function sameGrant(obj: KubeObject, old: KubeObject): boolean {
  const grant = (o: KubeObject): string => {
    const { metadata, apiVersion: _v, kind: _k, ...rest } = o;
    return JSON.stringify([rest, metadata.labels ?? {}, metadata.annotations ?? {}]);
  };
  return grant(obj) === grant(old);
}
