import {
  ALLOW_CLIENTS,
  DENY_INGRESS,
  apiRequestFromPod,
  eventually,
  podHttp,
  runKubectl,
  runUserCommand,
  sleeperPod,
  startTestCluster,
  TestCluster,
  userKubeconfig,
  webServerPod,
} from '@skiff/testing';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

// Identity and access, the acceptance: a user made with `npm run user`, a pod's ServiceAccount calling the
// API, a chart's RBAC/PDB/NetworkPolicy bundle, NetworkPolicy, ResourceQuota and Secrets at rest — one cluster with
// pods that run, real kubectl and @kubernetes/client-node (the user's kubeconfig).
const NS = 'dev';

const BUNDLE = `apiVersion: v1
kind: ServiceAccount
metadata: {name: chart, namespace: ${NS}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: chart, namespace: ${NS}}
rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: chart, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: chart}
subjects: [{kind: ServiceAccount, name: chart, namespace: ${NS}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: chart-nodes}
rules:
  - {apiGroups: [""], resources: [nodes], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: chart-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: chart-nodes}
subjects: [{kind: ServiceAccount, name: chart, namespace: ${NS}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: chart, namespace: ${NS}}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: chart, namespace: ${NS}}
spec:
  podSelector: {matchLabels: {app: chart}}
  policyTypes: [Ingress]
`;

describe('identity and access (the issue acceptance)', () => {
  let cluster: TestCluster;
  const kubectl = (args: string[], stdin?: string) =>
    cluster.kubectl(['-n', NS, ...args], stdin === undefined ? {} : { stdin });
  const asAlice = (args: string[]) => runKubectl(['--kubeconfig', userKubeconfig(cluster, 'alice'), '-n', NS, ...args]);
  const http = podHttp((args, opts) => cluster.kubectl(args, opts), NS);
  const ips: Record<string, string> = {};

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    expect((await cluster.kubectl(['create', 'namespace', NS])).code).toBe(0);
    expect((await kubectl(['create', 'serviceaccount', 'reader'])).code).toBe(0);
    // Two pods for the whole file: a web server, and a client running as the `reader` ServiceAccount.
    const client = sleeperPod('client', { role: 'client' }, { serviceAccountName: 'reader' });
    const pods = JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [webServerPod('web'), client] });
    expect((await kubectl(['apply', '-f', '-'], pods)).code).toBe(0);
    expect((await kubectl(['wait', '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=180s'])).code).toBe(0);
    for (const pod of ['web', 'client'])
      ips[pod] = (await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.podIP}'])).stdout;
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a view user made with `npm run user` reads pods but may not delete one', async () => {
    expect((await runUserCommand(cluster, ['add', 'alice', '--group', 'dev'])).code).toBe(0);
    expect((await runUserCommand(cluster, ['bind', 'alice', '--clusterrole', 'view', '--namespace', NS])).code).toBe(0);
    const pods = await eventually(
      async () => {
        const r = await asAlice(['get', 'pods', '-o', 'name']);
        return r.code === 0 ? r.stdout : undefined;
      },
      30_000,
      'alice to list pods',
    );
    expect(pods.split('\n').filter(Boolean).sort()).toEqual(['pod/client', 'pod/web']);
    const denied = await asAlice(['delete', 'pod', 'x']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"',
    );
    const whoami = JSON.parse((await asAlice(['auth', 'whoami', '-o', 'json'])).stdout);
    expect(whoami.status.userInfo).toEqual({ username: 'alice', groups: ['dev', 'system:authenticated'] });
    // The same kubeconfig in @kubernetes/client-node.
    const script = path.join(__dirname, 'client-node', 'user.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [script, userKubeconfig(cluster, 'alice'), NS], {
      timeout: 60_000,
    });
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { step: 'whoami', userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] } },
      { step: 'list', names: ['client', 'web'] },
      {
        step: 'delete',
        code: 403,
        message:
          'pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"',
      },
    ]);
  });

  it('kubectl auth can-i --list shows alice the view rules', async () => {
    const r = await asAlice(['auth', 'can-i', '--list']);
    expect(r.code).toBe(0);
    const row = (resource: string, verbs: string) =>
      new RegExp(`^${resource.replace(/\./g, '\\.')}\\s+\\[\\]\\s+\\[\\]\\s+\\[${verbs}\\]\\s*$`, 'm');
    expect(r.stdout).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\s*$/m);
    expect(r.stdout).toMatch(row('pods', 'get list watch'));
    expect(r.stdout).toMatch(row('configmaps', 'get list watch'));
    expect(r.stdout).toMatch(row('deployments.apps', 'get list watch'));
    expect(r.stdout).toMatch(row('selfsubjectreviews.authentication.k8s.io', 'create'));
    // view does not read Secrets.
    expect(r.stdout).not.toMatch(/^secrets\s/m);
    expect((await asAlice(['auth', 'can-i', 'delete', 'pods'])).stdout.trim()).toBe('no');
  });

  it("a pod's ServiceAccount token is refused until a RoleBinding grants view, then lists pods", async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = (await kubectl(['exec', 'client', '--', 'cat', `${dir}/token`])).stdout;
    const ca = (await kubectl(['exec', 'client', '--', 'cat', `${dir}/ca.crt`])).stdout;
    const uid = (await kubectl(['get', 'pod', 'client', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const listPods = () => apiRequestFromPod(uid, { method: 'GET', path: `/api/v1/namespaces/${NS}/pods`, token, ca });
    const refused = await listPods();
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).message).toBe(
      `pods is forbidden: User "system:serviceaccount:${NS}:reader" cannot list resource "pods" in API group "" in the namespace "${NS}"`,
    );
    const bind = ['create', 'rolebinding', 'reader-view', '--clusterrole=view', `--serviceaccount=${NS}:reader`];
    expect((await kubectl(bind)).code).toBe(0);
    const listed = await eventually(
      async () => {
        const r = await listPods();
        return r.status === 200 ? r.body : undefined;
      },
      30_000,
      'the ServiceAccount to list pods',
    );
    const names = (JSON.parse(listed) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name);
    expect(names.sort()).toEqual(['client', 'web']);
  });

  it("a chart's bundle (ServiceAccount, RBAC, PodDisruptionBudget, NetworkPolicy) applies and reads back", async () => {
    const applied = await cluster.kubectl(['apply', '-f', '-'], { stdin: BUNDLE });
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'serviceaccount/chart created',
      'role.rbac.authorization.k8s.io/chart created',
      'rolebinding.rbac.authorization.k8s.io/chart created',
      'clusterrole.rbac.authorization.k8s.io/chart-nodes created',
      'clusterrolebinding.rbac.authorization.k8s.io/chart-nodes created',
      'poddisruptionbudget.policy/chart created',
      'networkpolicy.networking.k8s.io/chart created',
    ]);
    const got = await kubectl([
      'get',
      'serviceaccount/chart',
      'role/chart',
      'rolebinding/chart',
      'pdb/chart',
      'netpol/chart',
      '-o',
      'name',
    ]);
    expect(got.stdout.trim().split('\n')).toEqual([
      'serviceaccount/chart',
      'role.rbac.authorization.k8s.io/chart',
      'rolebinding.rbac.authorization.k8s.io/chart',
      'poddisruptionbudget.policy/chart',
      'networkpolicy.networking.k8s.io/chart',
    ]);
    const clusterScoped = await cluster.kubectl([
      'get',
      'clusterrole/chart-nodes',
      'clusterrolebinding/chart-nodes',
      '-o',
      'name',
    ]);
    expect(clusterScoped.stdout.trim().split('\n')).toEqual([
      'clusterrole.rbac.authorization.k8s.io/chart-nodes',
      'clusterrolebinding.rbac.authorization.k8s.io/chart-nodes',
    ]);
    // The binding works: the chart's ServiceAccount may list configmaps and nodes, not pods.
    const can = (what: string[]) =>
      kubectl(['auth', 'can-i', ...what, `--as=system:serviceaccount:${NS}:chart`]).then((r) => r.stdout.trim());
    await eventually(async () => (await can(['list', 'configmaps'])) === 'yes', 20_000, 'the Role to be bound');
    expect(await can(['list', 'nodes'])).toBe('yes');
    expect(await can(['list', 'pods'])).toBe('no');
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: BUNDLE })).stdout).not.toContain('created');
  });

  it('a default-deny NetworkPolicy blocks a pod-to-pod request that worked, an allow rule reopens it', async () => {
    await http.reaches('client', ips.web, 'client to reach web');
    expect((await kubectl(['apply', '-f', '-'], DENY_INGRESS)).code).toBe(0);
    await http.blocked('client', ips.web, 'client blocked from web');
    expect((await kubectl(['apply', '-f', '-'], ALLOW_CLIENTS)).code).toBe(0);
    await http.reaches('client', ips.web, 'client to reach web again');
    expect((await kubectl(['delete', 'networkpolicy', 'default-deny-ingress', 'web-from-clients'])).code).toBe(0);
  });

  it("a ResourceQuota refuses a pod over quota with upstream's message", async () => {
    expect((await kubectl(['create', 'quota', 'pod-count', '--hard=pods=2'])).code).toBe(0);
    await eventually(
      async () => (await kubectl(['get', 'quota', 'pod-count', '-o', 'jsonpath={.status.used.pods}'])).stdout === '2',
      30_000,
      'the quota to count the two pods',
    );
    const over = await kubectl(['apply', '-f', '-'], JSON.stringify(sleeperPod('third')));
    expect(over.code).not.toBe(0);
    expect(over.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "third" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=2, limited: pods=2',
    );
  });

  it('a Secret is stored in Postgres as ciphertext', async () => {
    const password = 'correct-horse-battery-staple';
    expect((await kubectl(['create', 'secret', 'generic', 'db', `--from-literal=password=${password}`])).code).toBe(0);
    const read = await kubectl(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(read.stdout, 'base64').toString()).toBe(password);
    const db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query<{ body: string }>(
        "SELECT body::text AS body FROM objects WHERE resource = 'secrets' AND namespace = $1 AND name = 'db'",
        [NS],
      );
      expect(rows.rows).toHaveLength(1);
      const stored = JSON.parse(rows.rows[0].body) as unknown;
      expect(stored).toEqual(expect.stringMatching(/^k8s:enc:aesgcm:v1:key1:/));
      for (const plain of [password, Buffer.from(password).toString('base64'), '"password"'])
        expect(rows.rows[0].body).not.toContain(plain);
    } finally {
      await db.end();
    }
  });
});
