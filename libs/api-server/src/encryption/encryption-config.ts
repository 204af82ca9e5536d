import { configDocument, listAt, recordAt } from '../config-document';

/** One named key-encryption key of an `aesgcm` provider. */
export interface EncryptionKey {
  name: string;
  secret: Buffer;
}

export type EncryptionProvider = { type: 'aesgcm'; keys: EncryptionKey[] } | { type: 'identity' };

/** Which resources (`secrets`, `deployments.apps`, `*.apps`, `*.*`) are stored by which providers, first one writing. */
export interface EncryptionRule {
  resources: string[];
  providers: EncryptionProvider[];
}

/** The file does not hold a valid EncryptionConfiguration; the message says where. */
export class EncryptionConfigError extends Error {
  override readonly name = 'EncryptionConfigError';
}

const KEY_LENGTHS = [16, 24, 32];
const UNSUPPORTED = ['aescbc', 'secretbox', 'kms'];

/**
 * Reads upstream's `apiserver.config.k8s.io/v1` EncryptionConfiguration (YAML or JSON). Providers `aesgcm` (keys of
 * 16, 24 or 32 bytes, base64) and `identity` are supported; in Skiff `aesgcm` wraps a fresh data key per write.
 */
export function parseEncryptionConfiguration(text: string): EncryptionRule[] {
  const root = configDocument(text, ['apiserver.config.k8s.io/v1'], 'EncryptionConfiguration', problem);
  const rules = listAt(root.resources, 'resources', problem);
  const seen = new Set<string>();
  return rules.map((r, i) => {
    const rule = recordAt(r, `resources[${i}]`, problem);
    const resources = listAt(rule.resources, `resources[${i}].resources`, problem).map((name, j) => {
      if (typeof name !== 'string' || name === '')
        throw new EncryptionConfigError(`resources[${i}].resources[${j}]: must be a resource name`);
      if (seen.has(name)) throw new EncryptionConfigError(`resources[${i}].resources[${j}]: "${name}" is listed twice`);
      seen.add(name);
      return name;
    });
    const providers = listAt(rule.providers, `resources[${i}].providers`, problem).map((p, j) =>
      providerOf(recordAt(p, `resources[${i}].providers[${j}]`, problem), `resources[${i}].providers[${j}]`),
    );
    if (resources.length === 0 || providers.length === 0)
      throw new EncryptionConfigError(`resources[${i}]: needs at least one resource and one provider`);
    return { resources, providers };
  });
}

function providerOf(p: Record<string, unknown>, where: string): EncryptionProvider {
  const types = Object.keys(p);
  if (types.length !== 1) throw new EncryptionConfigError(`${where}: exactly one provider type per entry`);
  const type = types[0];
  if (type === 'identity') return { type: 'identity' };
  if (UNSUPPORTED.includes(type))
    throw new EncryptionConfigError(`${where}: provider "${type}" is not supported (use aesgcm or identity)`);
  if (type !== 'aesgcm') throw new EncryptionConfigError(`${where}: unknown provider "${type}"`);
  const keys = listAt(recordAt(p.aesgcm, `${where}.aesgcm`, problem).keys, `${where}.aesgcm.keys`, problem);
  if (keys.length === 0) throw new EncryptionConfigError(`${where}.aesgcm.keys: at least one key is required`);
  const names = new Set<string>();
  return {
    type: 'aesgcm',
    keys: keys.map((k, i) => {
      const key = recordAt(k, `${where}.aesgcm.keys[${i}]`, problem);
      const at = `${where}.aesgcm.keys[${i}]`;
      if (typeof key.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key.name))
        throw new EncryptionConfigError(`${at}.name: must be 1-64 letters, digits, '-', '_' or '.'`);
      if (names.has(key.name)) throw new EncryptionConfigError(`${at}.name: "${key.name}" is used twice`);
      names.add(key.name);
      if (typeof key.secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(key.secret))
        throw new EncryptionConfigError(`${at}.secret: must be base64`);
      const secret = Buffer.from(key.secret, 'base64');
      if (!KEY_LENGTHS.includes(secret.length))
        throw new EncryptionConfigError(
          `${at}.secret: secret is not of the expected length, got ${secret.length}, expected one of [16 24 32]`,
        );
      return { name: key.name, secret };
    }),
  };
}

const problem = (message: string): Error => new EncryptionConfigError(message);
