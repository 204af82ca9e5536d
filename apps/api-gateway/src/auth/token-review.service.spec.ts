import { ApiError, JsonObject } from '@skiff/api-machinery';
import { FakeClock } from '@skiff/testing';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AdminTokenService } from './admin-token.service';
import { AuthenticatorService } from './authenticator.service';
import { JwtSigningKey } from './jwt';
import { ServiceAccountTokenService } from './service-account-token.service';
import { ObjectMap, serviceAccountServices } from './service-accounts.fixture';
import { TokenReviewService } from './token-review.service';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const API = 'https://kubernetes.default.svc';
const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'];

describe(TokenReviewService.name, () => {
  let dir: string;
  let store: ObjectMap;
  let clock: FakeClock;
  let tokens: ServiceAccountTokenService;
  let reviews: TokenReviewService;
  const review = async (token: string, audiences?: string[]) =>
    (await reviews.review({ kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }))
      .status as JsonObject;
  const tokenOf = async (spec: JsonObject = {}) =>
    ((await tokens.tokenRequest('dev', 'builder', { kind: 'TokenRequest', spec })).status as { token: string }).token;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-token-review-'));
    writeFileSync(path.join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`);
    writeFileSync(path.join(dir, 'tokens.csv'), 'static-token-0123,alice,1001,"dev,ops"\n');
    store = new ObjectMap();
    clock = new FakeClock();
    const services = serviceAccountServices(store.asStore(), clock, {
      SKIFF_ADMIN_TOKEN_FILE: path.join(dir, 'admin.token'),
      SKIFF_TOKEN_AUTH_FILE: path.join(dir, 'tokens.csv'),
    });
    ({ tokens } = services);
    const authenticator = new AuthenticatorService(services.config, new AdminTokenService(services.config), tokens);
    reviews = new TokenReviewService(authenticator);
    store.put('serviceaccounts', { metadata: { name: 'builder', namespace: 'dev', uid: 'sa-uid-1' } });
    store.put('pods', {
      metadata: { name: 'web', namespace: 'dev', uid: 'pod-uid-1' },
      spec: { serviceAccountName: 'builder' },
    });
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers with the whole object: spec as sent, status with the user and the audiences', async () => {
    const out = await reviews.review({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { name: 'r' },
      spec: { token: ADMIN_TOKEN },
    });
    expect(out).toEqual({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'r', creationTimestamp: null },
      spec: { token: ADMIN_TOKEN },
      status: {
        authenticated: true,
        user: { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] },
        audiences: [API],
      },
    });
  });

  it('knows the static token file and bound ServiceAccount tokens, with uid and extra', async () => {
    expect(await review('static-token-0123')).toEqual({
      authenticated: true,
      user: { username: 'alice', uid: '1001', groups: ['dev', 'ops', 'system:authenticated'] },
      audiences: [API],
    });
    const bound = await tokenOf({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } });
    expect(await review(bound)).toEqual({
      authenticated: true,
      user: {
        username: 'system:serviceaccount:dev:builder',
        uid: 'sa-uid-1',
        groups: SA_GROUPS,
        extra: {
          'authentication.kubernetes.io/pod-name': ['web'],
          'authentication.kubernetes.io/pod-uid': ['pod-uid-1'],
          'authentication.kubernetes.io/credential-id': [expect.stringMatching(/^JTI=/)],
        },
      },
      audiences: [API],
    });
  });

  it('a token not valid is an answer with the reason, authenticated left out as upstream', async () => {
    expect(await review('not-a-token')).toEqual({ user: {}, error: 'invalid bearer token' });
    const token = await tokenOf({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } });
    const other = new JwtSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const forged = other.sign(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as JsonObject);
    expect(await review(forged)).toEqual({
      user: {},
      error: '[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]',
    });
    store.remove('pods', 'dev', 'web');
    expect(await review(token)).toEqual({ user: {}, error: '[invalid bearer token, pods "web" not found]' });
    const expiring = await tokenOf({ expirationSeconds: 600 });
    clock.advance(661_000);
    expect(await review(expiring)).toEqual({
      user: {},
      error: '[invalid bearer token, service account token has expired]',
    });
  });

  it('honours spec.audiences: the token must be for one of them, and the answer names those it shares', async () => {
    const vault = await tokenOf({ audiences: ['vault', 'consul'] });
    expect(await review(vault)).toEqual({
      user: {},
      error: `[invalid bearer token, token audiences ["vault" "consul"] is invalid for the target audiences ["${API}"]]`,
    });
    expect(await review(vault, ['consul', 'nomad'])).toMatchObject({
      authenticated: true,
      user: { username: 'system:serviceaccount:dev:builder' },
      audiences: ['consul'],
    });
    expect(await review(await tokenOf(), ['vault'])).toEqual({
      user: {},
      error: `[invalid bearer token, token audiences ["${API}"] is invalid for the target audiences ["vault"]]`,
    });
    // The admin and static tokens are the API server's only.
    expect(await review(ADMIN_TOKEN, ['vault'])).toEqual({ user: {}, error: 'invalid bearer token' });
    expect(await review(ADMIN_TOKEN, ['vault', API])).toMatchObject({ authenticated: true, audiences: [API] });
  });

  it('refuses a review without a token, or of another kind, as upstream', async () => {
    const err = await reviews.review({ kind: 'TokenReview', spec: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([(err as ApiError).code, (err as ApiError).message]).toEqual([
      400,
      'token is required for TokenReview in authentication',
    ]);
    const kind = await reviews.review({ kind: 'TokenRequest', spec: { token: 'x' } }).catch((e: unknown) => e);
    expect((kind as ApiError).message).toBe('the object provided is unrecognized (must be of type TokenReview)');
  });
});
