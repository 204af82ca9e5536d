import { eventually, runKubectl, runUserCommand, startTestCluster, TestCluster, userKubeconfig } from '@skiff/testing';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

// `npm run user` (the compiled scripts/user.js) against a real API server: the kubeconfig it writes is used by the
// real kubectl, and the bindings it makes are what RBAC decides by.
describe('npm run user', () => {
  let cluster: TestCluster;
  let dir: string;
  const asUser = (name: string, args: string[], kubeconfig = userKubeconfig(cluster, name)) =>
    runKubectl(['--kubeconfig', kubeconfig, ...args]);
  const allowed = (name: string, args: string[]) =>
    eventually(async () => (await asUser(name, args)).code === 0, 20_000, `${name}: kubectl ${args.join(' ')}`);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-user-'));
    // The scheduler aggregates `view`'s rules.
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    expect((await cluster.kubectl(['create', 'namespace', 'dev'])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('add writes a kubeconfig with a CA-signed client certificate that authenticates as the user and groups', async () => {
    const r = await runUserCommand(cluster, ['add', 'alice', '--group', 'dev', '--group', 'ops']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const file = userKubeconfig(cluster, 'alice');
    expect(r.stdout).toBe(`user "alice" (groups dev, ops): kubeconfig ${file}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const config = parse(readFileSync(file, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { name: string; user: Record<string, string> }[];
    };
    expect(config.clusters[0].cluster.server).toBe(cluster.stack.server);
    expect(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64')).toEqual(cluster.stack.ca);
    expect(Object.keys(config.users[0].user).sort()).toEqual(['client-certificate-data', 'client-key-data']);

    const whoami = await asUser('alice', ['auth', 'whoami', '-o', 'json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout).status.userInfo).toEqual({
      username: 'alice',
      groups: ['dev', 'ops', 'system:authenticated'],
    });
    // Nothing is granted yet.
    const refused = await asUser('alice', ['get', 'pods', '-n', 'dev']);
    expect(refused.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "dev"',
    );
  });

  it('add again issues a certificate with the new groups, to the file asked for', async () => {
    const out = path.join(dir, 'alice-ops.kubeconfig');
    expect((await runUserCommand(cluster, ['add', 'alice', '--group=ops', '--kubeconfig', out])).code).toBe(0);
    const whoami = await asUser('alice', ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.groups}'], out);
    expect(JSON.parse(whoami.stdout)).toEqual(['ops', 'system:authenticated']);
  });

  it('bind grants a ClusterRole in a namespace, idempotently', async () => {
    const first = await runUserCommand(cluster, ['bind', 'alice', '--clusterrole', 'view', '--namespace', 'dev']);
    expect(first).toMatchObject({ code: 0, stdout: 'rolebinding "dev/user-alice-view" created\n' });
    const again = await runUserCommand(cluster, ['bind', 'alice', '--clusterrole', 'view', '--namespace', 'dev']);
    expect(again).toMatchObject({ code: 0, stdout: 'rolebinding "dev/user-alice-view" unchanged\n' });
    const binding = JSON.parse(
      (await cluster.kubectl(['get', 'rolebinding', 'user-alice-view', '-n', 'dev', '-o', 'json'])).stdout,
    );
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }]);

    await allowed('alice', ['get', 'pods', '-n', 'dev']);
    const other = await asUser('alice', ['get', 'pods', '-n', 'default']);
    expect(other.stderr).toContain(
      'User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('bind grants a ClusterRole cluster-wide, and a Role in its namespace', async () => {
    expect((await runUserCommand(cluster, ['add', 'bob'])).code).toBe(0);
    expect(await runUserCommand(cluster, ['bind', 'bob', '--clusterrole', 'view'])).toMatchObject({
      code: 0,
      stdout: 'clusterrolebinding "user-bob-view" created\n',
    });
    await allowed('bob', ['get', 'pods', '-A']);

    const role = await cluster.kubectl([
      'create',
      'role',
      'cm-writer',
      '-n',
      'dev',
      '--verb=create',
      '--resource=configmaps',
    ]);
    expect(role.code).toBe(0);
    expect(await runUserCommand(cluster, ['bind', 'bob', '--role', 'cm-writer', '--namespace', 'dev'])).toMatchObject({
      code: 0,
      stdout: 'rolebinding "dev/user-bob-cm-writer" created\n',
    });
    await allowed('bob', ['create', 'configmap', 'c', '-n', 'dev']);
  });

  it.each([
    [['add', 'Alice'], 'invalid user name "Alice"'],
    [['add', 'system:x'], 'invalid user name "system:x"'],
    [['add', 'alice', '--group', 'a/b'], 'invalid group "a/b"'],
    [['add', 'alice', '--admin'], 'unknown flag --admin'],
    [['add', 'alice', '--group'], 'flag --group needs a value'],
    [['add'], 'expected one user name, got 0'],
    [['bind', 'alice', '--role', 'r'], '--role needs --namespace'],
    [['bind', 'alice', '--role', 'r', '--clusterrole', 'c'], 'give one of --clusterrole or --role'],
    [['remove', 'alice'], 'unknown command "remove"'],
  ])('%j is refused with exit code 2', async (args, message) => {
    const r = await runUserCommand(cluster, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringContaining(`user: ${message}`)]);
  });
});
