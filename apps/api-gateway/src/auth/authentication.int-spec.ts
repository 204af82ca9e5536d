import { apiRequest, ApiResponse, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { issueClientCert } from '@skiff/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

interface WhoAmI {
  status: { userInfo: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> } };
}

const SA_GROUPS = (ns: string) => ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];

// Authentication and ServiceAccounts against a real API server and scheduler (its serviceaccount-controller and
// root-ca-cert-publisher), with the real kubectl.
describe('authentication and ServiceAccounts', () => {
  let cluster: TestCluster;
  let dir: string;
  const ns = 'authn';
  const api = (method: string, p: string, body?: unknown): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, p, body);
  const kubectl = (args: string[]) => cluster.kubectl(['-n', ns, ...args]);
  // A request with a bearer token of our choosing (apiRequest always sends the admin's).
  const asToken = (token: string, p: string, method = 'GET', body?: unknown): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(p, cluster.stack.server),
        {
          method,
          ca: cluster.stack.ca,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              body: text.startsWith('{') ? JSON.parse(text) : text,
              headers: res.headers,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const whoami = async (token: string): Promise<WhoAmI['status']['userInfo'] | number> => {
    const res = await asToken(token, '/apis/authentication.k8s.io/v1/selfsubjectreviews', 'POST', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    return res.status === 201 ? (res.body as WhoAmI).status.userInfo : res.status;
  };
  const createToken = async (args: string[]): Promise<string> => {
    const out = await kubectl(['create', 'token', ...args]);
    expect(out.stderr).toBe('');
    return out.stdout.trim();
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-authn-'));
    const tokenFile = path.join(dir, 'tokens.csv');
    writeFileSync(tokenFile, 'alice-static-token-0123456789,alice,1001,"dev,ops"\n');
    cluster = await startTestCluster({ SKIFF_TOKEN_AUTH_FILE: tokenFile }, ['api-gateway', 'scheduler']);
    expect((await api('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the default ServiceAccount and kube-root-ca.crt in a new namespace', async () => {
    await eventually(async () => {
      expect((await api('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status).toBe(200);
      const cm = await api('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
      expect((cm.body as { data: Record<string, string> }).data['ca.crt']).toBe(cluster.stack.ca.toString());
      return true;
    }, 20_000);
    const sa = await kubectl(['get', 'serviceaccounts', '-o', 'name']);
    expect(sa.stdout.trim()).toBe('serviceaccount/default');
  });

  it('kubectl auth whoami shows the admin, a static token user and a ServiceAccount', async () => {
    const admin = await kubectl(['auth', 'whoami', '-o', 'json']);
    expect(JSON.parse(admin.stdout)).toMatchObject({
      status: { userInfo: { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] } },
    });
    expect(await whoami('alice-static-token-0123456789')).toEqual({
      username: 'alice',
      uid: '1001',
      groups: ['dev', 'ops', 'system:authenticated'],
    });
    const token = await createToken(['default', '--duration=10m']);
    const out = await cluster.kubectl(['--token', token, 'auth', 'whoami', '-o', 'json']);
    expect(out.stderr).toBe('');
    expect((JSON.parse(out.stdout) as WhoAmI).status.userInfo).toMatchObject({
      username: `system:serviceaccount:${ns}:default`,
      groups: SA_GROUPS(ns),
    });
  });

  it('answers a bad token with 401 Unauthorized as a Status', async () => {
    for (const token of ['nope', 'a.b.c', `${await createToken(['default'])}x`]) {
      const res = await asToken(token, '/api/v1/namespaces');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    const tooShort = await kubectl(['create', 'token', 'default', '--duration=5m']);
    expect(tooShort.stderr).toContain('may not specify a duration less than 10 minutes');
  });

  it('a token for another audience does not open the API', async () => {
    const token = await createToken(['default', '--audience=vault']);
    expect(await whoami(token)).toBe(401);
  });

  it('a token bound to a pod works until the pod is deleted', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'holder', namespace: ns },
      spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
    };
    const created = await api('POST', `/api/v1/namespaces/${ns}/pods`, pod);
    expect(created.status).toBe(201);
    const spec = (created.body as { spec: { volumes: { name: string }[]; serviceAccountName: string } }).spec;
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.volumes.map((v) => v.name)).toEqual([expect.stringMatching(/^kube-api-access-\w{5}$/)]);
    const token = await createToken(['default', '--bound-object-kind=Pod', '--bound-object-name=holder']);
    expect(await whoami(token)).toMatchObject({
      username: `system:serviceaccount:${ns}:default`,
      extra: { 'authentication.kubernetes.io/pod-name': ['holder'] },
    });
    // Authenticated (not 401); RBAC grants a ServiceAccount nothing by default.
    expect((await asToken(token, `/api/v1/namespaces/${ns}/pods/holder`)).status).toBe(403);
    expect(
      (await api('DELETE', `/api/v1/namespaces/${ns}/pods/holder`, { gracePeriodSeconds: 0 })).status,
    ).toBeLessThan(300);
    await eventually(async () => (await whoami(token)) === 401, 20_000, 'the token to be refused');
  });

  it('a token bound to a Secret works until the Secret is deleted', async () => {
    await api('POST', `/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'anchor' }, stringData: { a: 'b' } });
    const token = await createToken(['default', '--bound-object-kind=Secret', '--bound-object-name=anchor']);
    expect(await whoami(token)).toMatchObject({ username: `system:serviceaccount:${ns}:default` });
    expect((await api('DELETE', `/api/v1/namespaces/${ns}/secrets/anchor`)).status).toBe(200);
    expect(await whoami(token)).toBe(401);
  });

  it('refuses a pod whose ServiceAccount does not exist', async () => {
    const res = await api('POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'orphan' },
      spec: { serviceAccountName: 'ghost', containers: [{ name: 'app', image: 'busybox' }] },
    });
    expect(res.status).toBe(403);
    expect((res.body as { message: string }).message).toBe(
      `pods "orphan" is forbidden: error looking up service account ${ns}/ghost: serviceaccount "ghost" not found`,
    );
  });

  it('fills a legacy token Secret whose token authenticates as the ServiceAccount', async () => {
    const res = await api('POST', `/api/v1/namespaces/${ns}/secrets`, {
      metadata: { name: 'default-legacy', annotations: { 'kubernetes.io/service-account.name': 'default' } },
      type: 'kubernetes.io/service-account-token',
    });
    expect(res.status).toBe(201);
    const data = (res.body as { data: Record<string, string> }).data;
    expect(Buffer.from(data.namespace, 'base64').toString()).toBe(ns);
    expect(Buffer.from(data['ca.crt'], 'base64')).toEqual(cluster.stack.ca);
    const token = Buffer.from(data.token, 'base64').toString();
    expect(await whoami(token)).toMatchObject({ username: `system:serviceaccount:${ns}:default` });
    await api('DELETE', `/api/v1/namespaces/${ns}/secrets/default-legacy`);
    expect(await whoami(token)).toBe(401);
  });

  it('serves OIDC discovery and the JWKS without authentication; the JWKS verifies issued tokens', async () => {
    const conf = await asToken('', '/.well-known/openid-configuration');
    expect(conf.status).toBe(200);
    expect(conf.body).toMatchObject({
      issuer: 'https://kubernetes.default.svc',
      jwks_uri: expect.stringMatching(/^https:\/\/.*\/openid\/v1\/jwks$/),
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const jwks = await asToken('', '/openid/v1/jwks');
    expect(jwks.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    const keys = (jwks.body as { keys: Record<string, string>[] }).keys;
    expect(keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })]);
    const token = await createToken(['default']);
    const [h, p, s] = token.split('.');
    const { createPublicKey, verify } = await import('node:crypto');
    const key = createPublicKey({ key: keys[0], format: 'jwk' });
    expect(
      verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')),
    ).toBe(true);
    expect(JSON.parse(Buffer.from(h, 'base64url').toString()).kid).toBe(keys[0].kid);
  });

  it('authenticates a client certificate signed by the cluster CA (CN user, O groups)', async () => {
    const pki = path.join(cluster.stateDir, 'pki');
    const { certFile, keyFile } = issueClientCert({
      caFile: path.join(pki, 'ca.crt'),
      caKeyFile: path.join(pki, 'ca.key'),
      outDir: dir,
      name: 'bob',
      user: 'bob',
      groups: ['qa', 'dev'],
    });
    const out = await cluster.kubectl([
      '--token=',
      `--client-certificate=${certFile}`,
      `--client-key=${keyFile}`,
      'auth',
      'whoami',
      '-o',
      'json',
    ]);
    expect(out.stderr).toBe('');
    expect((JSON.parse(out.stdout) as WhoAmI).status.userInfo).toEqual({
      username: 'bob',
      groups: ['qa', 'dev', 'system:authenticated'],
    });
  });
});
