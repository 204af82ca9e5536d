import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from '@skiff/kube-types';
import type { UserInfo } from '../auth/request-user';
import { compactRules, compactString, ruleAllows, uncoveredRules } from './policy-rules';
import { PolicySnapshot, RbacAuthorizer } from './rbac-authorizer';
import { forbiddenError, requestAttributes } from './request-attributes';

const RBAC = 'rbac.authorization.k8s.io';
const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };

const res = (
  verb: string,
  resource: string,
  extra: { apiGroup?: string; subresource?: string; namespace?: string; name?: string } = {},
) => ({ resourceRequest: true as const, verb, apiGroup: extra.apiGroup ?? '', resource, ...extra });
const url = (verb: string, path: string) => ({ resourceRequest: false as const, verb, path });

function clusterRole(name: string, rules: PolicyRule[]): ClusterRole {
  return { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name }, rules };
}

function policy(p: Partial<PolicySnapshot>): PolicySnapshot {
  return { clusterRoles: new Map(), roles: new Map(), clusterRoleBindings: [], roleBindings: new Map(), ...p };
}

describe(ruleAllows.name, () => {
  it('matches verb, group and resource, with * for any', () => {
    const rule: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
    expect(ruleAllows(res('get', 'pods'), rule)).toBe(true);
    expect(ruleAllows(res('delete', 'pods'), rule)).toBe(false);
    expect(ruleAllows(res('get', 'pods', { apiGroup: 'apps' }), rule)).toBe(false);
    expect(ruleAllows(res('get', 'services'), rule)).toBe(false);
    expect(
      ruleAllows(res('delete', 'deployments', { apiGroup: 'apps' }), {
        verbs: ['*'],
        apiGroups: ['*'],
        resources: ['*'],
      }),
    ).toBe(true);
  });

  it('limits a rule with resourceNames to those names (a list has no name and is refused)', () => {
    const rule: PolicyRule = {
      verbs: ['get', 'list'],
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['app'],
    };
    expect(ruleAllows(res('get', 'configmaps', { name: 'app' }), rule)).toBe(true);
    expect(ruleAllows(res('get', 'configmaps', { name: 'other' }), rule)).toBe(false);
    expect(ruleAllows(res('list', 'configmaps'), rule)).toBe(false);
  });

  it('needs the subresource named (pods does not grant pods/log; */scale grants every scale)', () => {
    expect(
      ruleAllows(res('get', 'pods', { subresource: 'log' }), { verbs: ['get'], apiGroups: [''], resources: ['pods'] }),
    ).toBe(false);
    expect(
      ruleAllows(res('get', 'pods', { subresource: 'log' }), {
        verbs: ['get'],
        apiGroups: [''],
        resources: ['pods/log'],
      }),
    ).toBe(true);
    const scale: PolicyRule = { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] };
    expect(ruleAllows(res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), scale)).toBe(true);
    expect(ruleAllows(res('update', 'deployments', { apiGroup: 'apps' }), scale)).toBe(false);
  });

  it('matches non-resource URLs exactly or by a trailing * prefix, never resource requests', () => {
    const rule: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(ruleAllows(url('get', '/healthz'), rule)).toBe(true);
    expect(ruleAllows(url('get', '/healthz/ping'), rule)).toBe(false);
    expect(ruleAllows(url('get', '/apis/apps/v1'), rule)).toBe(true);
    expect(ruleAllows(url('post', '/healthz'), rule)).toBe(false);
    expect(ruleAllows(res('get', 'pods'), rule)).toBe(false);
  });
});

describe(RbacAuthorizer.name, () => {
  const view = clusterRole('view', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]);
  const devRole: Role = {
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'deleter', namespace: 'dev' },
    rules: [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }],
  };
  const bindingTo = (kind: 'Role' | 'ClusterRole', role: string, subject: RoleBinding['subjects']): RoleBinding => ({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: `${role}-binding`, namespace: 'dev' },
    roleRef: { apiGroup: RBAC, kind, name: role },
    subjects: subject,
  });

  it('grants what a RoleBinding grants in its namespace only, to users and groups', () => {
    const authorizer = new RbacAuthorizer(
      policy({
        clusterRoles: new Map([['view', view]]),
        roles: new Map([['dev/deleter', devRole]]),
        roleBindings: new Map([
          [
            'dev',
            [
              bindingTo('ClusterRole', 'view', [{ kind: 'Group', apiGroup: RBAC, name: 'dev' }]),
              bindingTo('Role', 'deleter', [{ kind: 'User', apiGroup: RBAC, name: 'alice' }]),
            ],
          ],
        ]),
      }),
    );
    expect(authorizer.authorize(alice, res('list', 'pods', { namespace: 'dev' }))).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "view-binding/dev" of ClusterRole "view" to Group "dev"',
    });
    expect(authorizer.authorize(alice, res('delete', 'pods', { namespace: 'dev', name: 'x' })).allowed).toBe(true);
    expect(authorizer.authorize(alice, res('list', 'pods', { namespace: 'prod' })).allowed).toBe(false);
    expect(authorizer.authorize(alice, res('list', 'pods')).allowed).toBe(false);
    expect(
      authorizer.authorize({ username: 'bob', groups: [] }, res('list', 'pods', { namespace: 'dev' })).allowed,
    ).toBe(false);
  });

  it('matches ServiceAccount subjects by their user name, the binding namespace standing in for a missing one', () => {
    const authorizer = new RbacAuthorizer(
      policy({
        clusterRoles: new Map([['view', view]]),
        roleBindings: new Map([
          ['dev', [bindingTo('ClusterRole', 'view', [{ kind: 'ServiceAccount', name: 'robot' }])]],
        ]),
      }),
    );
    const robot = {
      username: 'system:serviceaccount:dev:robot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:dev'],
    };
    expect(authorizer.authorize(robot, res('get', 'pods', { namespace: 'dev', name: 'p' })).allowed).toBe(true);
    const other = { username: 'system:serviceaccount:prod:robot', groups: [] };
    expect(authorizer.authorize(other, res('get', 'pods', { namespace: 'dev', name: 'p' })).allowed).toBe(false);
  });

  it('says which role is missing when a denial may be due to it', () => {
    const crb: ClusterRoleBinding = {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'gone' },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'gone' },
      subjects: [{ kind: 'User', apiGroup: RBAC, name: 'alice' }],
    };
    const decision = new RbacAuthorizer(policy({ clusterRoleBindings: [crb] })).authorize(
      alice,
      res('get', 'pods', { namespace: 'dev' }),
    );
    expect(decision).toEqual({
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
    });
  });

  it('allows system:masters everything', () => {
    const admin = { username: 'skiff-admin', groups: ['system:masters'] };
    expect(new RbacAuthorizer(policy({})).authorize(admin, res('delete', 'nodes', { name: 'n' })).allowed).toBe(true);
  });
});

describe('forbidden messages', () => {
  it('words a refused request as kube-apiserver does', () => {
    const attrs = requestAttributes('DELETE', new URL('https://x/api/v1/namespaces/dev/pods/x'))!;
    expect(forbiddenError('alice', attrs, '').toStatus()).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"',
      details: { name: 'x', kind: 'pods' },
    });
    const list = requestAttributes('GET', new URL('https://x/apis/apps/v1/deployments'))!;
    expect(forbiddenError('alice', list, '').message).toBe(
      'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" at the cluster scope',
    );
    const logs = requestAttributes('GET', new URL('https://x/api/v1/namespaces/dev/pods/p/log'))!;
    expect(forbiddenError('alice', logs, 'RBAC: role.rbac.authorization.k8s.io "r" not found').message).toBe(
      'pods "p" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "dev": RBAC: role.rbac.authorization.k8s.io "r" not found',
    );
    const metrics = requestAttributes('GET', new URL('https://x/metrics'))!;
    expect(forbiddenError('alice', metrics, '').message).toBe('forbidden: User "alice" cannot get path "/metrics"');
  });

  it('reads watch and a field-selected name from the query', () => {
    expect(
      requestAttributes(
        'GET',
        new URL('https://x/api/v1/namespaces/dev/pods?watch=true&fieldSelector=metadata.name%3Dp'),
      ),
    ).toEqual(res('watch', 'pods', { namespace: 'dev', name: 'p' }));
    expect(requestAttributes('GET', new URL('https://x/api/v1/namespaces/dev'))).toEqual(
      res('get', 'namespaces', { namespace: 'dev', name: 'dev' }),
    );
  });
});

describe(uncoveredRules.name, () => {
  const owner: PolicyRule[] = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/scale'] },
    { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] },
    { verbs: ['get'], nonResourceURLs: ['/logs/*'] },
  ];

  it('is empty when the owner holds every broken-down rule', () => {
    expect(
      uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'deployments/scale'] }]),
    ).toEqual([]);
    expect(
      uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] }]),
    ).toEqual([]);
    expect(uncoveredRules(owner, [{ verbs: ['get'], nonResourceURLs: ['/logs/today'] }])).toEqual([]);
  });

  it("names what is missing: other verbs, names beyond the owner's, all names where the owner has some", () => {
    expect(uncoveredRules(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }])).toEqual([
      { verbs: ['delete'], apiGroups: [''], resources: ['pods'] },
    ]);
    expect(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }])).toHaveLength(1);
    expect(uncoveredRules(owner, [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }])).toEqual([
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
    ]);
  });

  it('prints compacted missing rules as upstream', () => {
    const missing = uncoveredRules(owner, [{ verbs: ['delete', 'create'], apiGroups: [''], resources: ['pods'] }]);
    expect(compactRules(missing).map(compactString)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "create"]}',
    ]);
  });
});
