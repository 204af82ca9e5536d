import { ApiError, JsonObject } from '@skiff/api-machinery';
import { FakeClock } from '@skiff/testing';
import { generateKeyPairSync } from 'node:crypto';
import { JwtSigningKey } from './jwt';
import { ServiceAccountTokenService } from './service-account-token.service';
import { ObjectMap, serviceAccountServices } from './service-accounts.fixture';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

describe(ServiceAccountTokenService.name, () => {
  let store: ObjectMap;
  let clock: FakeClock;
  let tokens: ServiceAccountTokenService;
  let key: JwtSigningKey;
  const request = (spec: JsonObject = {}, name = 'builder') =>
    tokens.tokenRequest('dev', name, { kind: 'TokenRequest', spec });
  const tokenOf = async (spec: JsonObject = {}) => ((await request(spec)).status as { token: string }).token;

  beforeEach(() => {
    store = new ObjectMap();
    clock = new FakeClock();
    ({ tokens, key } = serviceAccountServices(store.asStore(), clock));
    store.put('serviceaccounts', { metadata: { name: 'builder', namespace: 'dev', uid: 'sa-uid-1' } });
    store.put('pods', {
      metadata: { name: 'web', namespace: 'dev', uid: 'pod-uid-1' },
      spec: { serviceAccountName: 'builder' },
    });
    store.put('secrets', { metadata: { name: 'anchor', namespace: 'dev', uid: 'secret-uid-1' } });
  });

  it('signs a JWT with the issuer, the API audience, iat/nbf/exp and the kubernetes.io claims', async () => {
    const out = await request({ expirationSeconds: 600 });
    const token = (out.status as { token: string }).token;
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES256', kid: key.kid });
    const now = clock.ms / 1000;
    expect(claimsOf(token)).toEqual({
      aud: ['https://kubernetes.default.svc'],
      exp: now + 600,
      iat: now,
      nbf: now,
      iss: 'https://kubernetes.default.svc',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sub: 'system:serviceaccount:dev:builder',
      'kubernetes.io': { namespace: 'dev', serviceaccount: { name: 'builder', uid: 'sa-uid-1' } },
    });
    expect(out).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'builder', namespace: 'dev' },
      spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 600, boundObjectRef: null },
      status: { expirationTimestamp: '2024-03-01T10:10:00Z' },
    });
  });

  it('authenticates its token as the ServiceAccount with its groups', async () => {
    expect(await tokens.authenticate(await tokenOf())).toEqual({
      username: 'system:serviceaccount:dev:builder',
      uid: 'sa-uid-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [expect.stringMatching(/^JTI=/)] },
    });
  });

  it('refuses a token past its expiry (beyond the 60 s leeway) or before nbf', async () => {
    const token = await tokenOf({ expirationSeconds: 600 });
    clock.advance(600_000 + 59_000);
    expect(await tokens.authenticate(token)).toBeDefined();
    clock.advance(2_000);
    expect(await tokens.authenticate(token)).toBeUndefined();
    const early = await tokenOf();
    clock.ms -= 120_000;
    expect(await tokens.authenticate(early)).toBeUndefined();
  });

  it('refuses a token for another audience, though it is valid for that audience', async () => {
    const token = await tokenOf({ audiences: ['vault'] });
    expect(claimsOf(token).aud).toEqual(['vault']);
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  it('refuses tampered tokens, tokens signed by another key and garbage', async () => {
    const token = await tokenOf();
    const [h, , s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...claimsOf(token), sub: 'system:serviceaccount:kube-system:admin' }),
    ).toString('base64url');
    expect(await tokens.authenticate(`${h}.${forged}.${s}`)).toBeUndefined();
    const other = new JwtSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    expect(await tokens.authenticate(other.sign(claimsOf(token)))).toBeUndefined();
    for (const junk of ['a.b.c', '..', 'eyJ9.eyJ9.x', '']) expect(await tokens.authenticate(junk)).toBeUndefined();
  });

  it('revokes the token when the ServiceAccount is gone or was recreated', async () => {
    const token = await tokenOf();
    store.put('serviceaccounts', { metadata: { name: 'builder', namespace: 'dev', uid: 'sa-uid-2' } });
    expect(await tokens.authenticate(token)).toBeUndefined();
    store.remove('serviceaccounts', 'dev', 'builder');
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  it('binds to a pod: pod claims and extra; rejected once the pod is gone or its uid differs', async () => {
    const out = await request({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web' } });
    expect(out.spec).toMatchObject({ boundObjectRef: { kind: 'Pod', name: 'web', uid: 'pod-uid-1' } });
    const token = (out.status as { token: string }).token;
    expect(claimsOf(token)['kubernetes.io']).toMatchObject({ pod: { name: 'web', uid: 'pod-uid-1' } });
    expect((await tokens.authenticate(token))?.extra).toMatchObject({
      'authentication.kubernetes.io/pod-name': ['web'],
      'authentication.kubernetes.io/pod-uid': ['pod-uid-1'],
    });
    store.put('pods', {
      metadata: { name: 'web', namespace: 'dev', uid: 'pod-uid-2' },
      spec: { serviceAccountName: 'builder' },
    });
    expect(await tokens.authenticate(token)).toBeUndefined();
    store.remove('pods', 'dev', 'web');
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  it('binds to a Secret and is rejected once it is deleted', async () => {
    const token = await tokenOf({ boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'anchor' } });
    expect(claimsOf(token)['kubernetes.io']).toMatchObject({ secret: { name: 'anchor', uid: 'secret-uid-1' } });
    expect(await tokens.authenticate(token)).toBeDefined();
    store.remove('secrets', 'dev', 'anchor');
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  it('refuses requests as upstream: short durations, unknown kinds, missing objects, uid mismatches', async () => {
    expect((await rejection(request({ expirationSeconds: 599 }))).message).toBe(
      'TokenRequest.authentication.k8s.io "builder" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    );
    expect((await rejection(request({}, 'ghost'))).message).toBe('serviceaccounts "ghost" not found');
    const kind = await rejection(request({ boundObjectRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' } }));
    expect([kind.code, kind.message]).toEqual([400, 'cannot bind token for object of type apps/v1, Kind=Deployment']);
    expect(
      (await rejection(request({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'nope' } }))).message,
    ).toBe('pods "nope" not found');
    const uid = await rejection(
      request({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'old' } }),
    );
    expect(uid.code).toBe(409);
    expect(uid.message).toContain('the UID in the bound object reference (old) does not match the UID in record');
    store.put('pods', {
      metadata: { name: 'other', namespace: 'dev', uid: 'p2' },
      spec: { serviceAccountName: 'default' },
    });
    expect(
      (await rejection(request({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'other' } }))).message,
    ).toBe('cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.');
  });

  it('legacy Secret tokens are valid while the Secret holds them and the ServiceAccount is the same', async () => {
    const sa = (await store.get({ group: '', resource: 'serviceaccounts', namespace: 'dev', name: 'builder' }))!;
    const token = tokens.legacyToken(sa, 'builder-token');
    expect(claimsOf(token)).toMatchObject({
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/secret.name': 'builder-token',
    });
    expect(await tokens.authenticate(token)).toBeUndefined();
    store.put('secrets', {
      metadata: { name: 'builder-token', namespace: 'dev', uid: 's' },
      data: { token: Buffer.from(token).toString('base64') },
    });
    expect((await tokens.authenticate(token))?.username).toBe('system:serviceaccount:dev:builder');
    store.remove('secrets', 'dev', 'builder-token');
    expect(await tokens.authenticate(token)).toBeUndefined();
  });
});
