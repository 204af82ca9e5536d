// Auto-reconciliation of the default roles and bindings (pkg/registry/rbac/reconciliation): what is
// missing is added back, nothing is taken away, and `autoupdate: "false"` leaves an object alone.
import type { ClusterRole, ClusterRoleBinding, Subject } from '@skiff/kube-types';
import { AUTOUPDATE_ANNOTATION } from './bootstrap-policy';
import { uncoveredRules } from './policy-rules';

export type Reconciled<T> = { op: 'none' } | { op: 'update' | 'recreate'; object: T };

function isProtected(existing: { metadata: { annotations?: Record<string, string> } }): boolean {
  return existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';
}

// Labels and annotations: the expected ones, with the existing values winning.
function mergedMeta<T extends ClusterRole | ClusterRoleBinding>(expected: T, existing: T): T['metadata'] {
  return {
    ...existing.metadata,
    labels: { ...expected.metadata.labels, ...existing.metadata.labels },
    annotations: { ...expected.metadata.annotations, ...existing.metadata.annotations },
  };
}

function sameMeta(a: ClusterRole['metadata'], b: ClusterRole['metadata']): boolean {
  return (
    JSON.stringify([a.labels ?? {}, a.annotations ?? {}]) === JSON.stringify([b.labels ?? {}, b.annotations ?? {}])
  );
}

/** computeReconciledRole for a ClusterRole. */
export function reconcileClusterRole(expected: ClusterRole, existing: ClusterRole): Reconciled<ClusterRole> {
  if (isProtected(existing)) return { op: 'none' };
  const metadata = mergedMeta(expected, existing);
  let changed = !sameMeta(metadata, existing.metadata);
  let rules = existing.rules ?? [];
  const missing = uncoveredRules(rules, expected.rules ?? []);
  if (missing.length > 0) {
    rules = [...rules, ...missing];
    changed = true;
  }
  let aggregationRule = existing.aggregationRule;
  if (!expected.aggregationRule && aggregationRule) {
    aggregationRule = undefined;
    changed = true;
  } else if (expected.aggregationRule) {
    const have = (aggregationRule?.clusterRoleSelectors ?? []).map((s) => JSON.stringify(s));
    const add = (expected.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !have.includes(JSON.stringify(s)));
    if (add.length > 0) {
      aggregationRule = { clusterRoleSelectors: [...(aggregationRule?.clusterRoleSelectors ?? []), ...add] };
      changed = true;
    }
  }
  if (!changed) return { op: 'none' };
  const { aggregationRule: _dropped, ...rest } = existing;
  return { op: 'update', object: { ...rest, metadata, rules, ...(aggregationRule ? { aggregationRule } : {}) } };
}

function subjectKey(s: Subject): string {
  return JSON.stringify([s.kind, s.apiGroup ?? '', s.name, s.namespace ?? '']);
}

/** computeReconciledRoleBinding for a ClusterRoleBinding: a different roleRef means delete and create again. */
export function reconcileClusterRoleBinding(
  expected: ClusterRoleBinding,
  existing: ClusterRoleBinding,
): Reconciled<ClusterRoleBinding> {
  if (isProtected(existing)) return { op: 'none' };
  const metadata = mergedMeta(expected, existing);
  if (JSON.stringify(existing.roleRef) !== JSON.stringify(expected.roleRef))
    return {
      op: 'recreate',
      object: {
        ...expected,
        metadata: { name: metadata.name, labels: metadata.labels, annotations: metadata.annotations },
      },
    };
  const have = new Set((existing.subjects ?? []).map(subjectKey));
  const missing = (expected.subjects ?? []).filter((s) => !have.has(subjectKey(s)));
  if (missing.length === 0 && sameMeta(metadata, existing.metadata)) return { op: 'none' };
  return { op: 'update', object: { ...existing, metadata, subjects: [...(existing.subjects ?? []), ...missing] } };
}
