import { Clock, KubeObject } from '@skiff/api-machinery';
import { ApiGatewayConfig, EnvReader, loadApiGatewayConfig } from '@skiff/config';
import { generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import { ObjectKey } from '../storage/object-key';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { JwtSigningKey } from './jwt';
import { ServiceAccountAdmissionService } from './service-account-admission.service';
import { ServiceAccountTokenService } from './service-account-token.service';

// A stand-in CA file, read only: the services copy it into token Secrets.
const CA_FILE = path.join(__dirname, 'testdata', 'ca.crt');

/** The ServiceAccount token and admission services over a given store, with a fresh P-256 key and a stand-in CA file. */
export function serviceAccountServices(
  store: ObjectStoreRepository,
  clock: Clock,
  env: Record<string, string> = {},
): {
  config: ApiGatewayConfig;
  key: JwtSigningKey;
  tokens: ServiceAccountTokenService;
  admission: ServiceAccountAdmissionService;
} {
  const config = { ...loadApiGatewayConfig(new EnvReader(env)), caFile: CA_FILE };
  const key = new JwtSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const tokens = new ServiceAccountTokenService(config, key, store, clock);
  return { config, key, tokens, admission: new ServiceAccountAdmissionService(config, store, tokens, clock) };
}

/** Objects by key: the only part of the store that authentication and ServiceAccount admission read. */
export class ObjectMap {
  readonly objects = new Map<string, KubeObject>();
  async get(k: ObjectKey): Promise<KubeObject | undefined> {
    return this.objects.get(`${k.resource}/${k.namespace}/${k.name}`);
  }
  put(resource: string, obj: KubeObject): void {
    this.objects.set(`${resource}/${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }
  remove(resource: string, ns: string, name: string): void {
    this.objects.delete(`${resource}/${ns}/${name}`);
  }
  asStore(): ObjectStoreRepository {
    return this as unknown as ObjectStoreRepository;
  }
}
