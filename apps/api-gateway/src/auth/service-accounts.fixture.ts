import { Clock } from '@skiff/api-machinery';
import { ApiGatewayConfig, EnvReader, loadApiGatewayConfig } from '@skiff/config';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { JwtSigningKey } from './jwt';
import { ServiceAccountAdmissionService } from './service-account-admission.service';
import { ServiceAccountTokenService } from './service-account-token.service';

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
  const caFile = path.join(mkdtempSync(path.join(tmpdir(), 'skiff-sa-')), 'ca.crt');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n');
  const config = { ...loadApiGatewayConfig(new EnvReader(env)), caFile };
  const key = new JwtSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const tokens = new ServiceAccountTokenService(config, key, store, clock);
  return { config, key, tokens, admission: new ServiceAccountAdmissionService(config, store, tokens, clock) };
}
