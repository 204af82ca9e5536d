import { Inject, Injectable } from '@nestjs/common';
import { ApiError, Clock, isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { ApiGatewayConfig, ConfigError } from '@skiff/config';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { JwtClaims, JwtSigningKey } from './jwt';
import { UserInfo } from './request-user';

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

  /** The ServiceAccount a token this key signed names, if it is still valid; undefined otherwise. */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    const claims = this.key.verify(token);
    if (!claims) return undefined;
    if (claims.iss === LEGACY_ISSUER) return this.authenticateLegacy(token, claims);
    if (claims.iss !== this.issuer) return undefined;
    const now = this.clock.nowMs() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_SECONDS < now) return undefined;
    if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_SECONDS > now) return undefined;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => this.apiAudiences.includes(String(a)))) return undefined;
    const k = kubernetesClaimsOf(claims['kubernetes.io']);
    if (!k) return undefined;
    if (!(await this.exists(SERVICE_ACCOUNTS, k.namespace, k.serviceaccount))) return undefined;
    if (k.pod && !(await this.exists(PODS, k.namespace, k.pod))) return undefined;
    if (k.secret && !(await this.exists(SECRETS, k.namespace, k.secret))) return undefined;
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (typeof claims.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    return { ...serviceAccountUser(k.namespace, k.serviceaccount), extra };
  }

  private async authenticateLegacy(token: string, claims: JwtClaims): Promise<UserInfo | undefined> {
    const [ns, secretName, name, uid] = ['namespace', 'secret.name', 'service-account.name', 'service-account.uid'].map(
      (c) => claims[`${LEGACY}${c}`],
    );
    if (![ns, secretName, name, uid].every((v) => typeof v === 'string')) return undefined;
    const secret = await this.store.get({ ...SECRETS, namespace: ns as string, name: secretName as string });
    const stored = isJsonObject(secret?.data) ? secret.data.token : undefined;
    // A deleted Secret, or one whose token was replaced, revokes the token.
    if (typeof stored !== 'string' || Buffer.from(stored, 'base64').toString('utf8') !== token) return undefined;
    const sa = { name: name as string, uid: uid as string };
    if (!(await this.exists(SERVICE_ACCOUNTS, ns as string, sa))) return undefined;
    return serviceAccountUser(ns as string, sa);
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

  private async exists(
    resource: { group: string; resource: string },
    namespace: string,
    ref: { name: string; uid: string },
  ): Promise<boolean> {
    const obj = await this.store.get({ ...resource, namespace, name: ref.name });
    if (obj === undefined || obj.metadata.uid !== ref.uid) return false;
    // An object being deleted still counts for the leeway, as upstream's validator.
    const deleted = obj.metadata.deletionTimestamp ? Date.parse(obj.metadata.deletionTimestamp) : undefined;
    return deleted === undefined || deleted > this.clock.nowMs() - LEEWAY_SECONDS * 1000;
  }
}

export function serviceAccountUser(namespace: string, sa: { name: string; uid: string }): UserInfo {
  return {
    username: serviceAccountUsername(namespace, sa.name),
    uid: sa.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
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
