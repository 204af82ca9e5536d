import type { ClusterRole } from '@skiff/kube-types';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy';
import { reconcileClusterRole, reconcileClusterRoleBinding } from './policy-reconciliation';

const basicUser = BOOTSTRAP_CLUSTER_ROLES.find((r) => r.metadata.name === 'system:basic-user')!;

describe(reconcileClusterRole.name, () => {
  it('leaves a role that holds every default rule alone', () => {
    expect(reconcileClusterRole(basicUser, { ...basicUser, metadata: { ...basicUser.metadata, uid: 'u' } })).toEqual({
      op: 'none',
    });
  });

  it('adds the missing default rules back, keeping the extra ones', () => {
    const edited: ClusterRole = { ...basicUser, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] };
    const out = reconcileClusterRole(basicUser, edited);
    expect(out.op).toBe('update');
    const rules = out.op === 'update' ? out.object.rules : [];
    expect(rules).toContainEqual({ verbs: ['get'], apiGroups: [''], resources: ['pods'] });
    expect(rules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews'],
    });
    expect(rules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['authentication.k8s.io'],
      resources: ['selfsubjectreviews'],
    });
  });

  it('leaves a role marked autoupdate "false" as it is', () => {
    const edited: ClusterRole = {
      ...basicUser,
      metadata: { ...basicUser.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } },
      rules: [],
    };
    expect(reconcileClusterRole(basicUser, edited)).toEqual({ op: 'none' });
  });

  it("restores an aggregated role's selectors and leaves its rules to the aggregation controller", () => {
    const admin = BOOTSTRAP_CLUSTER_ROLES.find((r) => r.metadata.name === 'admin')!;
    const aggregatedRules = [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }];
    expect(reconcileClusterRole(admin, { ...admin, rules: aggregatedRules })).toEqual({ op: 'none' });
    const out = reconcileClusterRole(admin, {
      ...admin,
      aggregationRule: { clusterRoleSelectors: [] },
      rules: aggregatedRules,
    });
    expect(out).toMatchObject({
      op: 'update',
      object: { aggregationRule: admin.aggregationRule, rules: aggregatedRules },
    });
  });
});

describe(reconcileClusterRoleBinding.name, () => {
  const binding = BOOTSTRAP_CLUSTER_ROLE_BINDINGS.find((b) => b.metadata.name === 'system:public-info-viewer')!;

  it('adds missing subjects and recreates a binding whose roleRef changed', () => {
    const out = reconcileClusterRoleBinding(binding, {
      ...binding,
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'x' }],
    });
    expect(out.op === 'update' && out.object.subjects?.map((s) => s.name)).toEqual([
      'x',
      'system:authenticated',
      'system:unauthenticated',
    ]);
    const moved = reconcileClusterRoleBinding(binding, { ...binding, roleRef: { ...binding.roleRef, name: 'view' } });
    expect(moved).toMatchObject({ op: 'recreate', object: { roleRef: binding.roleRef } });
  });
});
