// The RBAC authorizer and rule resolver, as upstream's plugin/pkg/auth/authorizer/rbac and
// pkg/registry/rbac/validation (DefaultRuleResolver).
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from '@skiff/kube-types';
import type { UserInfo } from '../auth/request-user';
import { AuthorizationAttributes, ruleAllows } from './policy-rules';

export const SYSTEM_MASTERS = 'system:masters';
const SA_PREFIX = 'system:serviceaccount:';

/** The RBAC objects a decision is made from. */
export interface PolicySnapshot {
  clusterRoles: ReadonlyMap<string, ClusterRole>;
  /** Keyed `namespace/name`. */
  roles: ReadonlyMap<string, Role>;
  clusterRoleBindings: readonly ClusterRoleBinding[];
  /** By namespace. */
  roleBindings: ReadonlyMap<string, readonly RoleBinding[]>;
}

export const EMPTY_POLICY: PolicySnapshot = {
  clusterRoles: new Map(),
  roles: new Map(),
  clusterRoleBindings: [],
  roleBindings: new Map(),
};

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by ...`, or why not when a binding could not be evaluated; else ''. */
  reason: string;
}

export interface ResolvedRules {
  rules: PolicyRule[];
  /** Bindings whose role is missing, in upstream's words. */
  errors: string[];
}

// system:masters is allowed everything by its own authorizer, ahead of RBAC (authorizerfactory.NewPrivilegedGroups).
export const MASTERS_RULES: readonly PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** serviceaccount.MakeUsername. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

/** serviceaccount.SplitUsername: [namespace, name] of a service account's user name. */
export function splitServiceAccountUsername(username: string): [string, string] | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  return parts.length === 2 && parts[0] && parts[1] ? [parts[0], parts[1]] : undefined;
}

/** appliesToUser: does a binding subject name this user? */
export function subjectMatches(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns !== '' && user.username === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

/** Decides requests and lists a user's rules from one policy snapshot. */
export class RbacAuthorizer {
  constructor(private readonly policy: PolicySnapshot) {}

  authorize(user: UserInfo, attrs: AuthorizationAttributes): Decision {
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    const namespace = attrs.resourceRequest ? (attrs.namespace ?? '') : '';
    const errors: string[] = [];
    let reason = '';
    const allowed = this.visitRules(user, namespace, errors, (rule, source) => {
      if (!ruleAllows(attrs, rule)) return false;
      reason = `RBAC: allowed by ${source()}`;
      return true;
    });
    if (allowed) return { allowed, reason };
    return { allowed, reason: errors.length === 0 ? '' : `RBAC: ${aggregate(errors)}` };
  }

  /** RulesFor: every rule granted to the user in the namespace ('' for cluster-wide rules only). */
  rulesFor(user: UserInfo, namespace: string): ResolvedRules {
    const rules: PolicyRule[] = user.groups.includes(SYSTEM_MASTERS) ? [...MASTERS_RULES] : [];
    const errors: string[] = [];
    this.visitRules(user, namespace, errors, (rule) => {
      rules.push(rule);
      return false;
    });
    return { rules, errors };
  }

  /** The rules a role reference points at; throws upstream's not-found message. */
  roleRefRules(ref: RoleRef, namespace: string): PolicyRule[] {
    switch (ref.kind) {
      case 'ClusterRole': {
        const role = this.policy.clusterRoles.get(ref.name);
        if (!role) throw new RoleRefError(`clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`);
        return role.rules ?? [];
      }
      case 'Role': {
        const role = this.policy.roles.get(`${namespace}/${ref.name}`);
        if (!role) throw new RoleRefError(`role.rbac.authorization.k8s.io "${ref.name}" not found`);
        return role.rules ?? [];
      }
      default:
        throw new RoleRefError(`unsupported role reference kind: "${ref.kind}"`);
    }
  }

  // VisitRulesFor: cluster role bindings first, then the namespace's role bindings; stops when `visit` says so.
  private visitRules(
    user: UserInfo,
    namespace: string,
    errors: string[],
    visit: (rule: PolicyRule, source: () => string) => boolean,
  ): boolean {
    const bindings: [ClusterRoleBinding | RoleBinding, string][] = this.policy.clusterRoleBindings.map((b) => [b, '']);
    if (namespace) for (const b of this.policy.roleBindings.get(namespace) ?? []) bindings.push([b, namespace]);
    for (const [binding, ns] of bindings) {
      const subject = (binding.subjects ?? []).find((s) => subjectMatches(user, s, ns));
      if (!subject) continue;
      let rules: PolicyRule[];
      try {
        rules = this.roleRefRules(binding.roleRef, ns);
      } catch (err) {
        if (!(err instanceof RoleRefError)) throw err;
        errors.push(err.message);
        continue;
      }
      const source = (): string => describeBinding(binding, subject, ns);
      for (const rule of rules) if (visit(rule, source)) return true;
    }
    return false;
  }
}

// clusterRoleBindingDescriber / roleBindingDescriber.
function describeBinding(binding: ClusterRoleBinding | RoleBinding, subject: Subject, namespace: string): string {
  const kind = namespace ? 'RoleBinding' : 'ClusterRoleBinding';
  const name = namespace ? `${binding.metadata.name}/${namespace}` : binding.metadata.name;
  const who = subject.kind === 'ServiceAccount' ? `${subject.name}/${subject.namespace || namespace}` : subject.name;
  return `${kind} ${JSON.stringify(name)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${subject.kind} ${JSON.stringify(who)}`;
}

export class RoleRefError extends Error {}

// utilerrors.NewAggregate(...).Error(): one message alone, several in brackets.
function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}
