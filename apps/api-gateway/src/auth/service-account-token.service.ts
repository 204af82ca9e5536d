import { Inject, Injectable } from '@nestjs/common';
import { ApiError, Clock, isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { ApiGatewayConfig, ConfigError } from '@skiff/config';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { JwtClaims, JwtSigningKey, unverifiedClaims } from './jwt';
import { TokenAuthentication, UserInfo } from './request-user';

/** The ServiceAccount token signing key (a JwtSigningKey). */
export const SERVICE_ACCOUNT_KEY = Symbol('SERVICE_ACCOUNT_KEY');

export function serviceAccountKeyProvider(): {
  provide: symbol;
  useFactory: (c: ApiGatewayConfig) => JwtSigningKey;
  inject: symbol[];
} {
  return {
    provide: SERVICE_ACCOUNT_KEY,
    useFactory: (c: ApiGatewayConfig) => {
      try {
        return JwtSigningKey.fromPem(readFileSync(c.serviceAccountKeyFile));
      } catch (err) {
        throw new ConfigError(
          'SKIFF_SERVICE_ACCOUNT_KEY_FILE',
          `${c.serviceAccountKeyFile}: ${(err as Error).message}`,
        );
      }
    },
    inject: [GATEWAY_CONFIG],
  };
}

// Legacy (Secret) tokens carry this issuer and their claims flat, as kube-controller-manager's token controller wrote them.
const LEGACY_ISSUER = 'kubernetes/serviceaccount';
const LEGACY = 'kubernetes.io/serviceaccount/';
// Clock skew tolerated on exp and nbf (go-jose's default leeway, as upstream's validator).
const LEEWAY_SECONDS = 60;
const MIN_EXPIRATION = 600;
const MAX_EXPIRATION = 2 ** 32;

export interface BoundObjectRef {
  kind: string;
  apiVersion?: string;
  name: string;
  uid?: string;
}

interface KubernetesClaims {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
}

const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };
const PODS = { group: '', resource: 'pods' };
const SECRETS = { group: '', resource: 'secrets' };

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * ServiceAccount tokens: bound tokens issued by the TokenRequest subresource (JWTs with issuer, audiences, expiry and
 * the `kubernetes.io` claims) and legacy Secret tokens; and their authentication, which checks the signature, time,
 * audience and that the ServiceAccount (and the Pod or Secret the token is bound to) still exists with the same uid.
 */
@Injectable()
export class ServiceAccountTokenService {
  readonly issuer: string;
  /** The API server's audiences (upstream's --api-audiences default: the issuer). */
  readonly apiAudiences: string[];

  constructor(
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
    @Inject(SERVICE_ACCOUNT_KEY) readonly key: JwtSigningKey,
    private readonly store: ObjectStoreRepository,
    private readonly clock: Clock,
  ) {
    this.issuer = config.serviceAccountIssuer;
    this.apiAudiences = [config.serviceAccountIssuer];
  }

  /** `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`: a TokenRequest answered with a signed token. */
  async tokenRequest(namespace: string, name: string, body: JsonObject): Promise<JsonObject> {
    const spec = isJsonObject(body.spec) ? body.spec : {};
    const audiences = Array.isArray(spec.audiences) ? spec.audiences.map(String) : [];
    const expirationSeconds = spec.expirationSeconds === undefined ? 3600 : Number(spec.expirationSeconds);
    const invalid = (value: unknown, message: string) =>
      ApiError.invalid('authentication.k8s.io', 'TokenRequest', name, [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.expirationSeconds',
          message: `Invalid value: ${String(value)}: ${message}`,
        },
      ]);
    if (!Number.isInteger(expirationSeconds)) throw invalid(spec.expirationSeconds, 'must be an integer');
    if (expirationSeconds < MIN_EXPIRATION)
      throw invalid(expirationSeconds, 'may not specify a duration less than 10 minutes');
    if (expirationSeconds > MAX_EXPIRATION)
      throw invalid(expirationSeconds, 'may not specify a duration larger than 2^32 seconds');
    const sa = await this.store.get({ ...SERVICE_ACCOUNTS, namespace, name });
    if (!sa) throw ApiError.notFound({ ...SERVICE_ACCOUNTS, name });
    const ref = boundObjectRefOf(spec.boundObjectRef);
    const claims: KubernetesClaims = {
      namespace,
      serviceaccount: { name, uid: sa.metadata.uid! },
      ...(ref ? await this.bind(namespace, name, ref) : {}),
    };
    const now = Math.floor(this.clock.nowMs() / 1000);
    const aud = audiences.length > 0 ? audiences : this.apiAudiences;
    const token = this.key.sign({
      aud,
      exp: now + expirationSeconds,
      iat: now,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': claims,
      nbf: now,
      sub: serviceAccountUsername(namespace, name),
    });
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences: aud, expirationSeconds, boundObjectRef: ref ? { ...ref } : null },
      status: {
        token,
        expirationTimestamp: new Date((now + expirationSeconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    };
  }

  /** A legacy token for a `kubernetes.io/service-account-token` Secret (no audience, no expiry). */
  legacyToken(sa: KubeObject, secretName: string): string {
    const ns = sa.metadata.namespace!;
    return this.key.sign({
      iss: LEGACY_ISSUER,
      [`${LEGACY}namespace`]: ns,
      [`${LEGACY}secret.name`]: secretName,
      [`${LEGACY}service-account.name`]: sa.metadata.name,
      [`${LEGACY}service-account.uid`]: sa.metadata.uid,
      sub: serviceAccountUsername(ns, sa.metadata.name!),
    });
  }

  /** The ServiceAccount a token this key signed names, if it is still valid for the API server; undefined otherwise. */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    return (await this.authenticateToken(token, this.apiAudiences)).user;
  }

  /**
   * A token checked as upstream's ServiceAccount token authenticator: not this issuer's, no answer; else the
   * signature, the audiences (the token's must meet `audiences`; the answer's are the ones they share), the time and
   * that the ServiceAccount and the object the token is bound to still exist, each failure with upstream's reason.
   */
  async authenticateToken(token: string, audiences: string[]): Promise<TokenAuthentication> {
    const iss = unverifiedClaims(token)?.iss;
    if (iss !== this.issuer && iss !== LEGACY_ISSUER) return {};
    const claims = this.key.verify(token);
    if (!claims) return { error: 'go-jose/go-jose: error in cryptographic primitive' };
    // Legacy tokens have no audience: they are the API server's.
    const tokenAudiences = iss === LEGACY_ISSUER ? this.apiAudiences : audiencesOf(claims.aud);
    const shared = tokenAudiences.filter((a) => audiences.includes(a));
    if (shared.length === 0)
      return {
        error: `token audiences ${goQuoted(tokenAudiences)} is invalid for the target audiences ${goQuoted(audiences)}`,
      };
    const user = iss === LEGACY_ISSUER ? await this.legacyUser(token, claims) : await this.boundUser(claims);
    return typeof user === 'string' ? { error: user } : { user, audiences: shared };
  }

  // The user of a bound token, or why it is not valid.
  private async boundUser(claims: JwtClaims): Promise<UserInfo | string> {
    const now = this.clock.nowMs() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_SECONDS < now) return 'service account token has expired';
    if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_SECONDS > now)
      return 'service account token is not valid yet';
    const k = kubernetesClaimsOf(claims['kubernetes.io']);
    if (!k) return 'service account token claims could not be validated';
    const invalid =
      (await this.missing(SERVICE_ACCOUNTS, 'service account', k.namespace, k.serviceaccount)) ??
      (k.pod ? await this.missing(PODS, 'pod', k.namespace, k.pod) : undefined) ??
      (k.secret ? await this.missing(SECRETS, 'secret', k.namespace, k.secret) : undefined);
    if (invalid) return invalid;
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (typeof claims.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    return { ...serviceAccountUser(k.namespace, k.serviceaccount), extra };
  }

  private async legacyUser(token: string, claims: JwtClaims): Promise<UserInfo | string> {
    const [ns, secretName, name, uid] = ['namespace', 'secret.name', 'service-account.name', 'service-account.uid'].map(
      (c) => claims[`${LEGACY}${c}`],
    );
    if (![ns, secretName, name, uid].every((v) => typeof v === 'string'))
      return 'service account token claims could not be validated';
    const secret = await this.store.get({ ...SECRETS, namespace: ns as string, name: secretName as string });
    const stored = isJsonObject(secret?.data) ? secret.data.token : undefined;
    // A deleted Secret, or one whose token was replaced, revokes the token.
    if (typeof stored !== 'string' || Buffer.from(stored, 'base64').toString('utf8') !== token)
      return 'Token has been invalidated';
    const sa = { name: name as string, uid: uid as string };
    const invalid = await this.missing(SERVICE_ACCOUNTS, 'service account', ns as string, sa);
    return invalid ?? serviceAccountUser(ns as string, sa);
  }

  // The uid and the ServiceAccount a Pod or Secret binding adds; the object must exist (and match the uid if given).
  private async bind(namespace: string, saName: string, ref: BoundObjectRef): Promise<Partial<KubernetesClaims>> {
    const apiVersion = ref.apiVersion ?? '';
    const kind = ref.kind;
    const core = apiVersion === '' || apiVersion === 'v1';
    const target = core && kind === 'Pod' ? PODS : core && kind === 'Secret' ? SECRETS : undefined;
    if (!target) {
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
      const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
      throw ApiError.badRequest(`cannot bind token for object of type ${group}/${version}, Kind=${kind}`);
    }
    const obj = await this.store.get({ ...target, namespace, name: ref.name });
    if (!obj) throw ApiError.notFound({ ...target, name: ref.name });
    if (target === PODS && isJsonObject(obj.spec) && obj.spec.serviceAccountName !== saName)
      throw ApiError.badRequest(
        `cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`,
      );
    const uid = obj.metadata.uid!;
    if (ref.uid && ref.uid !== uid)
      throw ApiError.conflict(
        { group: '', resource: kind, name: ref.name },
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    ref.uid = uid;
    return target === PODS ? { pod: { name: ref.name, uid } } : { secret: { name: ref.name, uid } };
  }

  // Why a token naming this object is no longer valid (upstream's validator's words); undefined while it holds.
  private async missing(
    resource: { group: string; resource: string },
    what: string,
    namespace: string,
    ref: { name: string; uid: string },
  ): Promise<string | undefined> {
    const obj = await this.store.get({ ...resource, namespace, name: ref.name });
    if (obj === undefined) return `${resource.resource} "${ref.name}" not found`;
    if (obj.metadata.uid !== ref.uid) return `${what} UID (${obj.metadata.uid}) does not match claim (${ref.uid})`;
    // An object being deleted still counts for the leeway, as upstream's validator.
    const deleted = obj.metadata.deletionTimestamp ? Date.parse(obj.metadata.deletionTimestamp) : undefined;
    if (deleted !== undefined && deleted <= this.clock.nowMs() - LEEWAY_SECONDS * 1000)
      return 'service account token has been invalidated';
    return undefined;
  }
}

export function serviceAccountUser(namespace: string, sa: { name: string; uid: string }): UserInfo {
  return {
    username: serviceAccountUsername(namespace, sa.name),
    uid: sa.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

function audiencesOf(aud: unknown): string[] {
  return (Array.isArray(aud) ? aud : aud === undefined ? [] : [aud]).map(String);
}

// A list as Go's %q prints a []string: ["a" "b"].
function goQuoted(list: string[]): string {
  return `[${list.map((a) => JSON.stringify(a)).join(' ')}]`;
}

function boundObjectRefOf(v: unknown): BoundObjectRef | undefined {
  if (!isJsonObject(v)) return undefined;
  if (typeof v.kind !== 'string' || typeof v.name !== 'string' || v.name === '')
    throw ApiError.badRequest('spec.boundObjectRef: kind and name are required');
  return {
    kind: v.kind,
    ...(typeof v.apiVersion === 'string' ? { apiVersion: v.apiVersion } : {}),
    name: v.name,
    ...(typeof v.uid === 'string' && v.uid ? { uid: v.uid } : {}),
  };
}

function kubernetesClaimsOf(v: unknown): KubernetesClaims | undefined {
  if (!isJsonObject(v) || typeof v.namespace !== 'string') return undefined;
  const ref = (r: unknown) =>
    isJsonObject(r) && typeof r.name === 'string' && typeof r.uid === 'string'
      ? { name: r.name, uid: r.uid }
      : undefined;
  const serviceaccount = ref(v.serviceaccount);
  if (!serviceaccount) return undefined;
  const pod = ref(v.pod);
  const secret = ref(v.secret);
  return { namespace: v.namespace, serviceaccount, ...(pod ? { pod } : {}), ...(secret ? { secret } : {}) };
}
