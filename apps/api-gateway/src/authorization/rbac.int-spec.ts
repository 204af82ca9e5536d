import { eventually, startTestCluster, TestCluster } from '@skiff/testing';

// Until users have credentials of their own, other users are the admin impersonating them, as upstream's RBAC tests do.
describe('RBAC with the real kubectl', () => {
  let cluster: TestCluster;
  const ns = 'dev';
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const asAlice = (...args: string[]) => cluster.kubectl(['--as=alice', '-n', ns, ...args]);

  beforeAll(async () => {
    // The scheduler runs the clusterrole-aggregation controller that fills view, edit and admin.
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    expect((await kubectl('create', 'namespace', ns)).code).toBe(0);
    // Pods wait for their namespace's default ServiceAccount (created by a controller) where ServiceAccount admission runs.
    await eventually(
      async () =>
        (await kubectl('run', 'p', '-n', ns, '--image=busybox', '--restart=Never', '--', 'sleep', '3600')).code === 0,
      30_000,
      'pod p created',
    );
    await eventually(
      async () =>
        (await kubectl('get', 'clusterrole', 'view', '-o', 'jsonpath={.rules[*].resources}')).stdout.includes('pods'),
      30_000,
      'view aggregated',
    );
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves the default roles and bindings with upstream columns', async () => {
    const roles = await kubectl('get', 'clusterroles');
    expect(roles.stdout).toMatch(/^NAME\s+CREATED AT$/m);
    for (const name of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:discovery',
      'system:basic-user',
      'system:public-info-viewer',
    ])
      expect(roles.stdout).toMatch(new RegExp(`^${name}\\s+\\d{4}-`, 'm'));
    const bindings = await kubectl('get', 'clusterrolebindings', '-o', 'wide');
    expect(bindings.stdout).toMatch(/^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/m);
    expect(bindings.stdout).toMatch(/^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters\s*$/m);
  });

  it('lets a view user list pods but not delete them, in upstream words', async () => {
    expect(
      (await kubectl('create', 'rolebinding', 'alice-view', '--clusterrole=view', '--user=alice', '-n', ns)).code,
    ).toBe(0);
    const list = await asAlice('get', 'pods');
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^p\s+/m);
    const del = await asAlice('delete', 'pod', 'p');
    expect(del.code).not.toBe(0);
    expect(del.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "p" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"',
    );
    const elsewhere = await cluster.kubectl(['--as=alice', 'get', 'pods', '-n', 'default']);
    expect(elsewhere.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    const exec = await asAlice('exec', 'p', '--', 'true');
    // A refused WebSocket upgrade (get) makes kubectl fall back to SPDY (create): either is refused.
    expect(exec.stderr).toMatch(
      /User "alice" cannot (get|create) resource "pods\/exec" in API group "" in the namespace "dev"/,
    );
  });

  it('answers kubectl auth can-i and can-i --list', async () => {
    expect((await asAlice('auth', 'can-i', 'list', 'pods')).stdout.trim()).toBe('yes');
    const no = await asAlice('auth', 'can-i', 'delete', 'pods');
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    const rules = await asAlice('auth', 'can-i', '--list');
    expect(rules.stdout).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    expect(rules.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]\s*$/m);
    expect(rules.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]\s*$/m);
    expect(rules.stdout).toMatch(/^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]\s*$/m);
  });

  it('applies a new RoleBinding at once', async () => {
    const before = await asAlice('get', 'secrets');
    expect(before.stderr).toContain('User "alice" cannot list resource "secrets"');
    expect(
      (await kubectl('create', 'role', 'secret-reader', '--verb=get,list', '--resource=secrets', '-n', ns)).code,
    ).toBe(0);
    expect(
      (await kubectl('create', 'rolebinding', 'alice-secrets', '--role=secret-reader', '--user=alice', '-n', ns)).code,
    ).toBe(0);
    const after = await asAlice('get', 'secrets');
    expect(after.stderr).toBe('No resources found in dev namespace.\n');
    const wide = await kubectl('get', 'rolebindings', '-n', ns, '-o', 'wide');
    expect(wide.stdout).toMatch(/^alice-secrets\s+Role\/secret-reader\s+\S+\s+alice\s*$/m);
  });

  it('refuses a role or binding that grants more than the writer holds', async () => {
    expect(
      (await kubectl('create', 'rolebinding', 'alice-admin', '--clusterrole=admin', '--user=alice', '-n', ns)).code,
    ).toBe(0);
    await eventually(
      async () => (await asAlice('auth', 'can-i', 'create', 'roles')).stdout.trim() === 'yes',
      30_000,
      'admin aggregated',
    );
    const role = await asAlice('create', 'role', 'node-killer', '--verb=delete', '--resource=nodes');
    expect(role.stderr).toContain(
      'roles.rbac.authorization.k8s.io "node-killer" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["delete"]}',
    );
    const binding = await asAlice('create', 'rolebinding', 'grab', '--clusterrole=cluster-admin', '--user=alice');
    expect(binding.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    // A malformed binding is validation's 422, not an escalation check's crash.
    const malformed = await cluster.kubectl(['--as=alice', 'create', '-n', ns, '-f', '-'], {
      stdin: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'm' },
      }),
    });
    expect(malformed.stderr).toContain('The RoleBinding "m" is invalid: \n* roleRef.kind: Unsupported value: ""');
    // What alice holds she may grant.
    expect((await asAlice('create', 'role', 'pod-reader', '--verb=get', '--resource=pods')).code).toBe(0);
  });

  it('puts edited default roles back at start unless autoupdate is "false"', async () => {
    const empty = [
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/rules","value":[{"verbs":["get"],"nonResourceURLs":["/x"]}]}]',
    ];
    expect((await kubectl('patch', 'clusterrole', 'system:basic-user', ...empty)).code).toBe(0);
    expect((await kubectl('patch', 'clusterrole', 'system:auth-delegator', ...empty)).code).toBe(0);
    expect(
      (
        await kubectl(
          'annotate',
          'clusterrole',
          'system:auth-delegator',
          'rbac.authorization.kubernetes.io/autoupdate=false',
          '--overwrite',
        )
      ).code,
    ).toBe(0);
    expect((await kubectl('delete', 'clusterrolebinding', 'system:discovery')).code).toBe(0);
    await cluster.stack.restartApiServer();
    const resources = (name: string) => kubectl('get', 'clusterrole', name, '-o', 'jsonpath={.rules[*].resources}');
    expect((await resources('system:basic-user')).stdout).toContain('selfsubjectaccessreviews');
    expect(
      (await kubectl('get', 'clusterrole', 'system:basic-user', '-o', 'jsonpath={.rules[0].nonResourceURLs}')).stdout,
    ).toBe('["/x"]');
    expect((await resources('system:auth-delegator')).stdout).toBe('');
    expect((await kubectl('get', 'clusterrolebinding', 'system:discovery')).code).toBe(0);
  }, 120_000);
});
