import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EncryptionKey, EncryptionProvider, EncryptionRule } from './encryption-config';

/** An object body as the store keeps it: the JSON object itself, or an encrypted value `k8s:enc:aesgcm:v1:<key>:<base64>`. */
export type StoredBody = Record<string, unknown> | string;

export interface StorageKey {
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

/** A stored value this server cannot read (wrong or missing key, tampered data). */
export class StorageTransformError extends Error {
  override readonly name = 'StorageTransformError';
}

const ENCRYPTED = 'k8s:enc:';
const NONCE = 12;
const TAG = 16;
const DEK_BYTES = 32;
const WRAPPED_DEK = NONCE + DEK_BYTES + TAG;

/** The object's path as kube-apiserver names it in etcd; also the data authenticated with each ciphertext. */
export function storagePath(key: StorageKey): string {
  const parts = ['', 'registry', ...(key.group === '' ? [] : [key.group]), key.resource];
  if (key.namespace !== '') parts.push(key.namespace);
  return [...parts, key.name].join('/');
}

/**
 * Turns objects into stored values and back for one resource, by the providers of its EncryptionConfiguration rule:
 * the first provider (and its first key) writes, all of them read. `aesgcm` is an envelope: every write gets a fresh
 * AES-256-GCM data key, stored wrapped (AES-GCM) under the named key-encryption key. Both ciphertexts authenticate
 * the object's path, so a value copied onto another object does not decrypt.
 */
export class StorageTransformer {
  constructor(
    private readonly providers: EncryptionProvider[],
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {}

  toStorage(object: Record<string, unknown>, key: StorageKey): StoredBody {
    const writer = this.providers[0];
    if (writer.type === 'identity') return object;
    const kek = writer.keys[0];
    const aad = Buffer.from(storagePath(key));
    const dek = this.random(DEK_BYTES);
    const wrapped = seal(kek.secret, dek, aad, this.random(NONCE));
    const data = seal(dek, Buffer.from(JSON.stringify(object)), aad, this.random(NONCE));
    return `${prefixOf(kek)}${Buffer.concat([wrapped, data]).toString('base64')}`;
  }

  /** The object, and whether it should be rewritten because a provider or key other than the writing one stored it. */
  fromStorage(stored: StoredBody, key: StorageKey): { object: Record<string, unknown>; stale: boolean } {
    for (const [i, provider] of this.providers.entries()) {
      if (provider.type === 'identity') {
        if (typeof stored !== 'string') return { object: stored, stale: i !== 0 };
        continue; // identity never reads encrypted data
      }
      if (typeof stored !== 'string') continue;
      const j = provider.keys.findIndex((k) => stored.startsWith(prefixOf(k)));
      if (j < 0) continue;
      const kek = provider.keys[j];
      const payload = Buffer.from(stored.slice(prefixOf(kek).length), 'base64');
      if (payload.length < WRAPPED_DEK + NONCE + TAG)
        throw new StorageTransformError('the encrypted value is truncated');
      const aad = Buffer.from(storagePath(key));
      const dek = open(kek.secret, payload.subarray(0, WRAPPED_DEK), aad);
      const plain = open(dek, payload.subarray(WRAPPED_DEK), aad);
      return { object: JSON.parse(plain.toString('utf8')) as Record<string, unknown>, stale: i !== 0 || j !== 0 };
    }
    throw new StorageTransformError('no matching prefix found');
  }
}

/** The transformer of every resource, from an EncryptionConfiguration's rules (unlisted resources are stored as they are). */
export class StorageTransformers {
  private readonly identity: StorageTransformer;
  private readonly cache = new Map<string, StorageTransformer>();
  private readonly built: { resources: string[]; transformer: StorageTransformer }[];

  constructor(rules: EncryptionRule[], random: (n: number) => Buffer = randomBytes) {
    this.identity = new StorageTransformer([{ type: 'identity' }], random);
    this.built = rules.map((r) => ({
      resources: r.resources,
      transformer: new StorageTransformer(r.providers, random),
    }));
  }

  for(group: string, resource: string): StorageTransformer {
    const id = `${resource}.${group}`;
    let t = this.cache.get(id);
    if (!t) {
      // As upstream: the first rule naming the resource (`secrets`, `deployments.apps`, `*.apps`, `*.` for the core group, `*.*`).
      const rule = this.built.find((r) => r.resources.some((name) => matches(name, group, resource)));
      t = rule?.transformer ?? this.identity;
      this.cache.set(id, t);
    }
    return t;
  }
}

function matches(name: string, group: string, resource: string): boolean {
  const dot = name.indexOf('.');
  const res = dot < 0 ? name : name.slice(0, dot);
  const grp = dot < 0 ? '' : name.slice(dot + 1);
  return (res === '*' || res === resource) && (grp === '*' || grp === group);
}

function prefixOf(key: EncryptionKey): string {
  return `${ENCRYPTED}aesgcm:v1:${key.name}:`;
}

function seal(key: Buffer, plain: Buffer, aad: Buffer, nonce: Buffer): Buffer {
  const cipher = createCipheriv(cipherOf(key), key, nonce);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, ct, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv(cipherOf(key), key, sealed.subarray(0, NONCE));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]);
  } catch {
    // Go's crypto/cipher words it so; kube-apiserver passes it on.
    throw new StorageTransformError('cipher: message authentication failed');
  }
}

function cipherOf(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}
