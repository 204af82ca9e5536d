// Pod Security Admission by namespace labels: enforce refuses a pod (403), warn answers with
// warnings, audit notes the violations for the audit event. Workloads are checked on their pod
// template and only warned and audited, as upstream.
import { ApiError, isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import {
  AUDIT_VIOLATIONS_ANNOTATION,
  ENFORCE_POLICY_ANNOTATION,
  formatViolations,
  LevelVersion,
  namespacePolicy,
  podSecurityViolations,
  podSpecOf,
  policyName,
} from '@skiff/api-server';
import { ResourceContext, subjectOf } from './resource-context';

export interface PodSecurityOutcome {
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

/** A workload's pod template (`spec.template`, `spec.jobTemplate.spec.template`). */
export function templateAt(obj: KubeObject, templatePath: string): JsonObject | undefined {
  let node: unknown = obj;
  for (const p of templatePath.split('.')) node = isJsonObject(node) ? node[p] : undefined;
  return isJsonObject(node) ? node : undefined;
}

/** Evaluates a pod (create) or a workload's pod template against the namespace's policy. Throws 403 under enforce. */
export function admitPodSecurity(ctx: ResourceContext, obj: KubeObject, namespace: KubeObject): PodSecurityOutcome {
  const out: PodSecurityOutcome = { warnings: [], auditAnnotations: {} };
  const loc = podSpecOf(ctx.type, obj);
  if (!loc || ctx.info.subresource) return out;
  const policy = namespacePolicy(namespace.metadata.labels);
  const meta = loc.templatePath
    ? ((templateAt(obj, loc.templatePath)?.metadata ?? {}) as KubeObject['metadata'])
    : obj.metadata;
  const evaluate = (lv: LevelVersion) => formatViolations(podSecurityViolations(lv.level, meta, loc.spec));
  if (!loc.templatePath && policy.enforce.level !== 'privileged') {
    out.auditAnnotations[ENFORCE_POLICY_ANNOTATION] = policyName(policy.enforce);
    const violations = evaluate(policy.enforce);
    if (violations !== '') {
      throw ApiError.forbidden(
        subjectOf(ctx, obj.metadata.name),
        `violates PodSecurity ${JSON.stringify(policyName(policy.enforce))}: ${violations}`,
      );
    }
  }
  const audit = evaluate(policy.audit);
  if (audit !== '')
    out.auditAnnotations[AUDIT_VIOLATIONS_ANNOTATION] =
      `would violate PodSecurity ${JSON.stringify(policyName(policy.audit))}: ${audit}`;
  const warn = evaluate(policy.warn);
  if (warn !== '') out.warnings.push(`would violate PodSecurity ${JSON.stringify(policyName(policy.warn))}: ${warn}`);
  return out;
}

/**
 * Warnings when a namespace's enforce level changes: the existing pods that would be refused now,
 * pods with the same violations grouped, as upstream's namespace check.
 */
export async function namespaceLabelWarnings(
  next: KubeObject,
  old: KubeObject,
  listPods: () => Promise<KubeObject[]>,
): Promise<string[]> {
  const enforce = namespacePolicy(next.metadata.labels).enforce;
  const before = namespacePolicy(old.metadata.labels).enforce;
  if (enforce.level === 'privileged' || policyName(enforce) === policyName(before)) return [];
  const groups = new Map<string, string[]>();
  for (const pod of await listPods()) {
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    const reasons = podSecurityViolations(enforce.level, pod.metadata, spec)
      .map((r) => r.reason)
      .join(', ');
    if (reasons !== '') groups.set(reasons, [...(groups.get(reasons) ?? []), pod.metadata.name ?? '']);
  }
  if (groups.size === 0) return [];
  const name = JSON.stringify(next.metadata.name ?? '');
  return [
    `existing pods in namespace ${name} violate the new PodSecurity enforce level ${JSON.stringify(policyName(enforce))}`,
    ...[...groups].map(([reasons, names]) =>
      names.length > 1 ? `${names[0]} (and ${names.length - 1} other pods): ${reasons}` : `${names[0]}: ${reasons}`,
    ),
  ];
}
