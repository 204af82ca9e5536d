import { impersonationOf } from './impersonation';

describe(impersonationOf.name, () => {
  it('is nothing without Impersonate-* headers', () => {
    expect(impersonationOf({ authorization: ['Bearer x'] })).toBeUndefined();
  });

  it('checks the user then each group, and adds system:authenticated', () => {
    const out = impersonationOf({ 'impersonate-user': ['alice'], 'impersonate-group': ['dev', 'ops'] })!;
    expect(out.user).toEqual({ username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
    expect(out.checks).toEqual([
      { resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'users', name: 'alice' },
      { resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'groups', name: 'dev' },
      { resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'groups', name: 'ops' },
    ]);
  });

  it('checks a service account in its namespace and gives it its groups', () => {
    const out = impersonationOf({ 'impersonate-user': ['system:serviceaccount:dev:robot'] })!;
    expect(out.checks).toEqual([
      {
        resourceRequest: true,
        verb: 'impersonate',
        apiGroup: '',
        resource: 'serviceaccounts',
        namespace: 'dev',
        name: 'robot',
      },
    ]);
    expect(out.user.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated']);
  });

  it('checks extras and uid in authentication.k8s.io', () => {
    const out = impersonationOf({
      'impersonate-user': ['a'],
      'impersonate-extra-scopes': ['view'],
      'impersonate-uid': ['42'],
    })!;
    expect(out.checks.slice(1)).toEqual([
      {
        resourceRequest: true,
        verb: 'impersonate',
        apiGroup: 'authentication.k8s.io',
        resource: 'userextras',
        subresource: 'scopes',
        name: 'view',
      },
      { resourceRequest: true, verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'uids', name: '42' },
    ]);
    expect(out.user).toMatchObject({ uid: '42', extra: { scopes: ['view'] } });
  });

  it('keeps an extra key that is not valid %-encoding as sent, as upstream', () => {
    const out = impersonationOf({
      'impersonate-user': ['a'],
      'impersonate-extra-%zz': ['v'],
      'impersonate-extra-a%2fb': ['w'],
    })!;
    expect(out.user.extra).toEqual({ '%zz': ['v'], 'a/b': ['w'] });
  });

  it('refuses groups without a user', () => {
    expect(() => impersonationOf({ 'impersonate-group': ['dev'] })).toThrow('without impersonating a user');
  });
});
