import { Injectable } from '@nestjs/common';
import { labelSelectorFromObject, matchesLabels } from '@skiff/api-machinery';
import { CLUSTER_ROLES, Controller, ControllerContext, Informer } from '@skiff/controller-runtime';
import type { ClusterRole, PolicyRule } from '@skiff/kube-types';

const FIELD_MANAGER = 'clusterrole-aggregation-controller';

/**
 * Upstream's clusterrole-aggregation controller: a ClusterRole with an aggregationRule holds the
 * rules of every other ClusterRole its selectors match (by name, each rule once), rewritten
 * whenever any ClusterRole changes.
 */
@Injectable()
export class ClusterRoleAggregationReconciler implements Controller {
  readonly name = FIELD_MANAGER;
  readonly workers = 1;
  private roles!: Informer<ClusterRole>;

  begin(ctx: ControllerContext): void {
    this.roles = ctx.informers.get<ClusterRole>(CLUSTER_ROLES);
    // Any change may concern any aggregated role: each is looked at again.
    const changed = (): void => {
      for (const role of this.roles.list()) if (role.aggregationRule) ctx.enqueue(role.metadata.name!);
    };
    for (const e of ['add', 'update', 'delete'] as const) this.roles.on(e, changed);
  }

  async reconcile(ctx: ControllerContext, name: string): Promise<void> {
    const role = this.roles.get(undefined, name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
    const applied = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules };
    await ctx.client
      .resource<ClusterRole>(CLUSTER_ROLES)
      .patch(undefined, name, applied, 'apply', { fieldManager: FIELD_MANAGER, force: true });
  }
}

/** The rules of the other ClusterRoles each selector matches, in selector then name order, without repeats. */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const matcher = labelSelectorFromObject(selector);
    const matched = all
      .filter((r) => r.metadata.name !== role.metadata.name && matchesLabels(matcher, r.metadata.labels))
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    for (const r of matched)
      for (const rule of r.rules ?? []) {
        const key = JSON.stringify(rule);
        if (!seen.has(key)) out.push(rule);
        seen.add(key);
      }
  }
  return out;
}
