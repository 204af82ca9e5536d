import type { KubeObject } from '@skiff/api-machinery';
import { validateAccessReview } from './authorization.validation';
import { applyDefaults } from './defaults';
import { validateRoleBinding } from './rbac.validation';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const RBAC = 'rbac.authorization.k8s.io';
const check = (kind: string, obj: Record<string, unknown>, old?: Record<string, unknown>) => {
  const type = resourceType(RBAC, kind);
  const full = (o: Record<string, unknown>): KubeObject =>
    applyDefaults(type, { apiVersion: `${RBAC}/v1`, kind, ...o } as KubeObject);
  return validateObject(type, full(obj), old ? full(old) : undefined).map((c) => `${c.field}: ${c.message}`);
};

describe(validateRoleBinding.name, () => {
  it('words rule errors as upstream', () => {
    expect(
      check('Role', {
        metadata: { name: 'r', namespace: 'dev' },
        rules: [{ apiGroups: [''] }, { verbs: ['get'], nonResourceURLs: ['/x'] }],
      }),
    ).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
      'rules[1].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(
      check('ClusterRole', { metadata: { name: 'system:x' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] }),
    ).toEqual([]);
    expect(check('ClusterRole', { metadata: { name: 'a/b' }, aggregationRule: {} })).toEqual([
      'metadata.name: Invalid value: "a/b": may not contain \'/\'',
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });

  it('defaults apiGroups, checks subjects and refuses a changed roleRef', () => {
    const binding = {
      metadata: { name: 'b', namespace: 'dev' },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'ServiceAccount', name: 'robot' },
      ],
    };
    expect(check('RoleBinding', binding)).toEqual([]);
    expect(check('ClusterRoleBinding', { ...binding, metadata: { name: 'b' } })).toEqual([
      'subjects[1].namespace: Required value',
    ]);
    expect(check('RoleBinding', { ...binding, subjects: [{ kind: 'Robot', name: 'x' }] })).toEqual([
      'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
    expect(check('RoleBinding', { ...binding, roleRef: { kind: 'Role', name: 'other' } }, binding)).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef',
    ]);
  });
});

describe(validateAccessReview.name, () => {
  it('needs exactly one kind of attributes, and a user or group for others than oneself', () => {
    expect(validateAccessReview('SelfSubjectAccessReview', { spec: {} }).map((c) => c.message)).toEqual([
      'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    ]);
    expect(
      validateAccessReview('LocalSubjectAccessReview', {
        spec: { nonResourceAttributes: { path: '/x', verb: 'get' } },
      }).map((c) => `${c.field}: ${c.message}`),
    ).toEqual([
      'spec.user: Invalid value: "": at least one of user or group must be specified',
      'spec.nonResourceAttributes: Invalid value: "null": disallowed on this kind of request',
    ]);
  });
});
