import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { JwtClaims, JwtSigningKey } from './jwt';

interface TokenReviewStatus {
  authenticated?: boolean;
  user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

const API = 'https://kubernetes.default.svc';

// TokenReview against a real API server with the real kubectl: the admin token, TokenRequest tokens (bound to a pod,
// for other audiences), forged and expired ones, and the RBAC it needs.
describe('TokenReview', () => {
  let cluster: TestCluster;
  const ns = 'reviews';
  const kubectl = (args: string[], stdin?: string) => cluster.kubectl(args, stdin === undefined ? {} : { stdin });
  const review = async (token: string, audiences?: string[], as: string[] = []): Promise<TokenReviewStatus> => {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } };
    const r = await kubectl(['create', '-f', '-', '-o', 'json', ...as], JSON.stringify(body));
    if (r.code !== 0) throw new Error(r.stderr);
    return (JSON.parse(r.stdout) as { status: TokenReviewStatus }).status;
  };
  const createToken = async (args: string[]): Promise<string> => {
    const r = await kubectl(['create', 'token', 'reviewer', '-n', ns, ...args]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as JwtClaims;

  beforeAll(async () => {
    cluster = await startTestCluster();
    expect((await kubectl(['create', 'namespace', ns])).code).toBe(0);
    expect((await kubectl(['create', 'serviceaccount', 'reviewer', '-n', ns])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('is served as a create-only cluster-scoped resource, with its schema', async () => {
    const resources = await kubectl(['api-resources', '--api-group=authentication.k8s.io', '-o', 'wide']);
    expect(resources.stdout).toMatch(/^tokenreviews\s+authentication\.k8s\.io\/v1\s+false\s+TokenReview\s+create/m);
    const explain = await kubectl(['explain', 'tokenreview.spec']);
    expect(explain.stdout).toContain('audiences');
    expect(explain.stdout).toContain('token');
  });

  it('authenticates the admin token and a ServiceAccount token, as the API server would', async () => {
    const admin = readFileSync(path.join(cluster.stateDir, 'admin.token'), 'utf8').trim();
    expect(await review(admin)).toEqual({
      authenticated: true,
      user: { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] },
      audiences: [API],
    });
    const sa = JSON.parse((await kubectl(['get', 'sa', 'reviewer', '-n', ns, '-o', 'json'])).stdout);
    expect(await review(await createToken([]))).toEqual({
      authenticated: true,
      user: {
        username: `system:serviceaccount:${ns}:reviewer`,
        uid: sa.metadata.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/credential-id': [expect.stringMatching(/^JTI=/)] },
      },
      audiences: [API],
    });
  });

  it('says why a forged, expired or garbage token is not valid (201, not authenticated)', async () => {
    const token = await createToken([]);
    const other = new JwtSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    expect(await review(other.sign(claimsOf(token)))).toEqual({
      user: {},
      error: '[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]',
    });
    // The cluster's own key, an hour in the past: signed right, but expired.
    const key = JwtSigningKey.fromPem(readFileSync(path.join(cluster.stateDir, 'pki', 'sa.key')));
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = key.sign({ ...claimsOf(token), iat: past - 600, nbf: past - 600, exp: past });
    expect(await review(expired)).toEqual({
      user: {},
      error: '[invalid bearer token, service account token has expired]',
    });
    expect(await review('garbage')).toEqual({ user: {}, error: 'invalid bearer token' });
  });

  it('honours spec.audiences: a token for vault is good for vault, not for the API server', async () => {
    const vault = await createToken(['--audience', 'vault']);
    expect(await review(vault)).toEqual({
      user: {},
      error: `[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["${API}"]]`,
    });
    expect(await review(vault, ['vault', 'consul'])).toMatchObject({
      authenticated: true,
      user: { username: `system:serviceaccount:${ns}:reviewer` },
      audiences: ['vault'],
    });
    expect(await review(await createToken([]), ['vault'])).toMatchObject({ user: {}, error: expect.any(String) });
  });

  it('a token bound to a pod is valid while the pod exists, and names it in extra', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'holder', namespace: ns },
      spec: { serviceAccountName: 'reviewer', containers: [{ name: 'c', image: 'busybox' }] },
    };
    expect((await kubectl(['create', '-f', '-'], JSON.stringify(pod))).code).toBe(0);
    const token = await createToken(['--bound-object-kind', 'Pod', '--bound-object-name', 'holder']);
    const valid = await review(token);
    expect(valid.authenticated).toBe(true);
    expect(valid.user.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['holder']);
    expect((await kubectl(['delete', 'pod', 'holder', '-n', ns, '--grace-period=0', '--force'])).code).toBe(0);
    await eventually(async () => (await kubectl(['get', 'pod', 'holder', '-n', ns])).code !== 0, 30_000, 'pod gone');
    expect(await review(token)).toEqual({ user: {}, error: '[invalid bearer token, pods "holder" not found]' });
  });

  // (--validate=false: kubectl's client-side check would first list CRDs, which `webhook` may not.)
  it('needs create on tokenreviews (system:auth-delegator has it)', async () => {
    const admin = readFileSync(path.join(cluster.stateDir, 'admin.token'), 'utf8').trim();
    const body = JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token: admin },
    });
    const refused = await kubectl(['create', '-f', '-', '--as', 'webhook', '--validate=false'], body);
    expect(refused.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": tokenreviews.authentication.k8s.io is forbidden: User "webhook" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
    );
    const bind = ['create', 'clusterrolebinding', 'webhook-delegator', '--clusterrole=system:auth-delegator'];
    expect((await kubectl([...bind, '--user=webhook'])).code).toBe(0);
    await eventually(
      async () => (await review(admin, undefined, ['--as', 'webhook', '--validate=false'])).authenticated === true,
      20_000,
      'webhook may review tokens',
    );
  });
});
