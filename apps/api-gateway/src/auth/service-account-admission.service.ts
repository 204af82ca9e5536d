import { Inject, Injectable } from '@nestjs/common';
import { ApiError, Clock, isJsonObject, KubeObject } from '@skiff/api-machinery';
import { ApiGatewayConfig } from '@skiff/config';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generatedName } from '../kube-api/object-meta';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import {
  SERVICE_ACCOUNT_VOLUME_PREFIX,
  serviceAccountNameOf,
  shouldAutomount,
  withServiceAccountToken,
} from './service-account-admission';
import { ServiceAccountTokenService } from './service-account-token.service';

export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
export const SA_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
// Upstream looks the default ServiceAccount up 10 times, 100-200 ms apart: a new namespace's may be on its way.
const DEFAULT_ATTEMPTS = 10;

/**
 * Upstream's ServiceAccount admission plugin (a pod runs as an existing ServiceAccount and gets its token volume) and
 * the token controller's filling of legacy token Secrets, done here as they are created: the signing key lives here.
 */
@Injectable()
export class ServiceAccountAdmissionService {
  private readonly enabled: boolean;
  private readonly caFile: string;

  constructor(
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
    private readonly store: ObjectStoreRepository,
    private readonly tokens: ServiceAccountTokenService,
    private readonly clock: Clock,
  ) {
    this.enabled = !config.disabledAdmissionPlugins.includes('ServiceAccount');
    this.caFile = config.caFile;
  }

  async admitPod(pod: KubeObject): Promise<KubeObject> {
    if (!this.enabled || isMirrorPod(pod)) return pod;
    const namespace = pod.metadata.namespace!;
    const name = serviceAccountNameOf(pod);
    const sa = await this.serviceAccount(namespace, name);
    if (!sa)
      throw ApiError.forbidden(
        { group: '', resource: 'pods', name: pod.metadata.name },
        `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`,
      );
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    const named: KubeObject = { ...pod, spec: { ...spec, serviceAccountName: name } };
    return shouldAutomount(named, sa)
      ? withServiceAccountToken(named, generatedName(SERVICE_ACCOUNT_VOLUME_PREFIX))
      : named;
  }

  /** A new `kubernetes.io/service-account-token` Secret of an existing ServiceAccount gets token, ca.crt and namespace. */
  async admitSecret(secret: KubeObject): Promise<KubeObject> {
    const annotations = secret.metadata.annotations ?? {};
    const saName = annotations[SA_NAME_ANNOTATION];
    if (!this.enabled || secret.type !== SA_TOKEN_SECRET_TYPE || !saName) return secret;
    const namespace = secret.metadata.namespace!;
    const sa = await this.store.get({ group: '', resource: 'serviceaccounts', namespace, name: saName });
    const uid = annotations[SA_UID_ANNOTATION];
    // Left unfilled, as the token controller leaves it, when the ServiceAccount is missing or is another one.
    if (!sa || (uid && uid !== sa.metadata.uid)) return secret;
    const data = isJsonObject(secret.data) ? secret.data : {};
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    return {
      ...secret,
      metadata: { ...secret.metadata, annotations: { ...annotations, [SA_UID_ANNOTATION]: sa.metadata.uid! } },
      data: {
        ...data,
        token: b64(this.tokens.legacyToken(sa, secret.metadata.name!)),
        'ca.crt': b64(readFileSync(this.caFile)),
        namespace: b64(namespace),
      },
    };
  }

  private async serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined> {
    const attempts = name === 'default' ? DEFAULT_ATTEMPTS : 1;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await this.clock.sleep(100 + randomInt(100));
      const sa = await this.store.get({ group: '', resource: 'serviceaccounts', namespace, name });
      if (sa) return sa;
    }
    return undefined;
  }
}

function isMirrorPod(pod: KubeObject): boolean {
  return pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}
