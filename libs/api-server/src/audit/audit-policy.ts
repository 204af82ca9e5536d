import { configDocument, listAt, recordAt } from '../config-document';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

const LEVELS: AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES: AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

/** audit.k8s.io/v1 PolicyRule. */
export interface AuditPolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

/** audit.k8s.io/v1 Policy. */
export interface AuditPolicy {
  rules: AuditPolicyRule[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

/** What a policy is evaluated against, as upstream's authorizer.Attributes. */
export interface AuditAttributes {
  user?: { username: string; groups: string[] };
  verb: string;
  /** Resource requests: the RequestInfo; undefined for non-resource paths (`/healthz`, `/api`, `/openapi/v2`). */
  resource?: { group: string; resource: string; subresource?: string; namespace?: string; name?: string };
  path: string;
}

export interface AuditDecision {
  level: AuditLevel;
  omitStages: AuditStage[];
  omitManagedFields: boolean;
}

/** The policy file is not a valid audit.k8s.io/v1 Policy; the message says where. */
export class AuditPolicyError extends Error {
  override readonly name = 'AuditPolicyError';
}

/**
 * Skiff's default: Metadata for every request (who did what to which object, never Secret data), except the health and
 * version probes and reads of Events and Leases, which are frequent and say nothing about who changed what.
 */
export const DEFAULT_AUDIT_POLICY: AuditPolicy = {
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version'] },
    {
      level: 'None',
      verbs: ['get', 'list', 'watch'],
      resources: [
        { group: '', resources: ['events'] },
        { group: 'events.k8s.io', resources: ['events'] },
        { group: 'coordination.k8s.io', resources: ['leases'] },
      ],
    },
    { level: 'Metadata' },
  ],
};

/** The level and stages for a request: the first rule that matches decides; no match means None (upstream's checker). */
export function evaluateAuditPolicy(policy: AuditPolicy, attrs: AuditAttributes): AuditDecision {
  const rule = policy.rules.find((r) => ruleMatches(r, attrs));
  if (!rule) return { level: 'None', omitStages: [], omitManagedFields: false };
  return {
    level: rule.level,
    omitStages: [...new Set([...(policy.omitStages ?? []), ...(rule.omitStages ?? [])])],
    omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields ?? false,
  };
}

function ruleMatches(r: AuditPolicyRule, a: AuditAttributes): boolean {
  if (r.users?.length && !r.users.includes(a.user?.username ?? '')) return false;
  if (r.userGroups?.length && !(a.user?.groups ?? []).some((g) => r.userGroups!.includes(g))) return false;
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return resourceMatches(r, a);
  if (r.nonResourceURLs?.length) return !a.resource && r.nonResourceURLs.some((u) => pathMatches(u, a.path));
  return true;
}

function resourceMatches(r: AuditPolicyRule, a: AuditAttributes): boolean {
  const res = a.resource;
  if (!res) return false;
  if (r.namespaces?.length && !r.namespaces.includes(res.namespace ?? '')) return false;
  if (!r.resources?.length) return true;
  const combined = res.subresource ? `${res.resource}/${res.subresource}` : res.resource;
  return r.resources.some(
    (gr) =>
      (gr.group ?? '') === res.group &&
      (!gr.resources?.length ||
        ((!gr.resourceNames?.length || gr.resourceNames.includes(res.name ?? '')) &&
          gr.resources.some(
            (name) =>
              name === combined ||
              name === '*' ||
              (!!res.subresource && name === `*/${res.subresource}`) ||
              (name.endsWith('/*') && name.slice(0, -2) === res.resource),
          ))),
  );
}

function pathMatches(spec: string, path: string): boolean {
  return spec === path || (spec.endsWith('*') && path.startsWith(spec.slice(0, -1)));
}

/** Reads an audit.k8s.io/v1 (or v1beta1) Policy from YAML or JSON, checked as kube-apiserver's validation checks it. */
export function parseAuditPolicy(text: string): AuditPolicy {
  const root = configDocument(text, ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'], 'Policy', problem);
  const rules = listAt(root.rules, 'rules', problem).map((r, i) =>
    ruleOf(recordAt(r, `rules[${i}]`, problem), `rules[${i}]`),
  );
  return {
    rules,
    ...(root.omitStages !== undefined ? { omitStages: stagesOf(root.omitStages, 'omitStages') } : {}),
    ...(root.omitManagedFields !== undefined
      ? { omitManagedFields: bool(root.omitManagedFields, 'omitManagedFields') }
      : {}),
  };
}

function ruleOf(r: Record<string, unknown>, at: string): AuditPolicyRule {
  if (!LEVELS.includes(r.level as AuditLevel))
    throw new AuditPolicyError(
      `${at}.level: Unsupported value: "${String(r.level)}": supported values: "${LEVELS.join('", "')}"`,
    );
  const rule: AuditPolicyRule = { level: r.level as AuditLevel };
  for (const field of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
    if (r[field] !== undefined) rule[field] = strings(r[field], `${at}.${field}`);
  }
  if (r.resources !== undefined)
    rule.resources = listAt(r.resources, `${at}.resources`, problem).map((g, j) => {
      const gr = recordAt(g, `${at}.resources[${j}]`, problem);
      const where = `${at}.resources[${j}]`;
      return {
        ...(gr.group !== undefined ? { group: strings([gr.group], `${where}.group`)[0] } : {}),
        ...(gr.resources !== undefined ? { resources: strings(gr.resources, `${where}.resources`) } : {}),
        ...(gr.resourceNames !== undefined
          ? { resourceNames: strings(gr.resourceNames, `${where}.resourceNames`) }
          : {}),
      };
    });
  if ((rule.resources?.length || rule.namespaces?.length) && rule.nonResourceURLs?.length)
    throw new AuditPolicyError(
      `${at}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs`,
    );
  if (r.omitStages !== undefined) rule.omitStages = stagesOf(r.omitStages, `${at}.omitStages`);
  if (r.omitManagedFields !== undefined) rule.omitManagedFields = bool(r.omitManagedFields, `${at}.omitManagedFields`);
  return rule;
}

function stagesOf(v: unknown, at: string): AuditStage[] {
  return strings(v, at).map((s) => {
    if (!STAGES.includes(s as AuditStage))
      throw new AuditPolicyError(`${at}: Unsupported value: "${s}": supported values: "${STAGES.join('", "')}"`);
    return s as AuditStage;
  });
}

function strings(v: unknown, at: string): string[] {
  const items = listAt(v, at, problem);
  if (items.some((s) => typeof s !== 'string')) throw new AuditPolicyError(`${at}: must be a list of strings`);
  return items as string[];
}

function bool(v: unknown, at: string): boolean {
  if (typeof v !== 'boolean') throw new AuditPolicyError(`${at}: must be true or false`);
  return v;
}

const problem = (message: string): Error => new AuditPolicyError(message);
