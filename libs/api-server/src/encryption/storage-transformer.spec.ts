import { randomBytes } from 'node:crypto';
import { EncryptionConfigError, parseEncryptionConfiguration } from './encryption-config';
import { StorageTransformers, StorageTransformError, storagePath } from './storage-transformer';

const KEY1 = randomBytes(32).toString('base64');
const KEY2 = randomBytes(32).toString('base64');
const SECRET = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop', labels: { app: 'db' } },
  type: 'Opaque',
  data: { password: Buffer.from('hunter2-plaintext').toString('base64') },
};
const AT = { group: '', resource: 'secrets', namespace: 'shop', name: 'db' };

function config(providers: string): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, '*.apps']
    providers:
${providers}`;
}

const aesgcm = (...keys: [string, string][]): string =>
  `      - aesgcm:\n          keys:\n${keys.map(([n, s]) => `            - name: ${n}\n              secret: ${s}\n`).join('')}`;
const identity = '      - identity: {}\n';

function transformers(text: string): StorageTransformers {
  return new StorageTransformers(parseEncryptionConfiguration(text));
}

describe(StorageTransformers.name, () => {
  it('stores a Secret as k8s:enc:aesgcm:v1:<key>: ciphertext with no plaintext, and reads it back', () => {
    const t = transformers(config(aesgcm(['key1', KEY1]) + identity)).for('', 'secrets');
    const stored = t.toStorage(SECRET, AT);
    expect(typeof stored).toBe('string');
    expect(stored as string).toMatch(/^k8s:enc:aesgcm:v1:key1:[A-Za-z0-9+/=]+$/);
    const raw = Buffer.from((stored as string).slice('k8s:enc:aesgcm:v1:key1:'.length), 'base64').toString('latin1');
    for (const plain of ['hunter2', SECRET.data.password, 'Opaque', 'shop']) {
      expect(stored as string).not.toContain(plain);
      expect(raw).not.toContain(plain);
    }
    expect(t.fromStorage(stored, AT)).toEqual({ object: SECRET, stale: false });
  });

  it('uses a fresh data key and nonce for every write', () => {
    const t = transformers(config(aesgcm(['key1', KEY1]))).for('', 'secrets');
    expect(t.toStorage(SECRET, AT)).not.toEqual(t.toStorage(SECRET, AT));
  });

  it('leaves resources no rule lists as they are, and applies group wildcards', () => {
    const all = transformers(config(aesgcm(['key1', KEY1])));
    expect(all.for('', 'configmaps').toStorage(SECRET, AT)).toBe(SECRET);
    expect(typeof all.for('apps', 'deployments').toStorage(SECRET, AT)).toBe('string');
    expect(all.for('batch', 'jobs').toStorage(SECRET, AT)).toBe(SECRET);
  });

  it('rotates: a new first key writes, the old one still reads and marks the value stale', () => {
    const before = transformers(config(aesgcm(['key1', KEY1]))).for('', 'secrets');
    const old = before.toStorage(SECRET, AT);
    const after = transformers(config(aesgcm(['key2', KEY2], ['key1', KEY1]))).for('', 'secrets');
    expect(after.fromStorage(old, AT)).toEqual({ object: SECRET, stale: true });
    const rewritten = after.toStorage(SECRET, AT);
    expect(rewritten as string).toMatch(/^k8s:enc:aesgcm:v1:key2:/);
    expect(after.fromStorage(rewritten, AT).stale).toBe(false);
  });

  it('reads plaintext through identity (stale when identity is not first) and never reads ciphertext as plaintext', () => {
    const t = transformers(config(aesgcm(['key1', KEY1]) + identity)).for('', 'secrets');
    expect(t.fromStorage(SECRET, AT)).toEqual({ object: SECRET, stale: true });
    const identityOnly = transformers(config(identity)).for('', 'secrets');
    expect(() => identityOnly.fromStorage(t.toStorage(SECRET, AT), AT)).toThrow(
      new StorageTransformError('no matching prefix found'),
    );
    const noIdentity = transformers(config(aesgcm(['key1', KEY1]))).for('', 'secrets');
    expect(() => noIdentity.fromStorage(SECRET, AT)).toThrow('no matching prefix found');
  });

  it('refuses a value whose key is gone, or whose key has the right name but the wrong secret', () => {
    const stored = transformers(config(aesgcm(['key1', KEY1])))
      .for('', 'secrets')
      .toStorage(SECRET, AT);
    expect(() =>
      transformers(config(aesgcm(['key2', KEY2])))
        .for('', 'secrets')
        .fromStorage(stored, AT),
    ).toThrow('no matching prefix found');
    expect(() =>
      transformers(config(aesgcm(['key1', KEY2])))
        .for('', 'secrets')
        .fromStorage(stored, AT),
    ).toThrow('cipher: message authentication failed');
  });

  it('detects tampering: a flipped bit, a truncated value, or a value moved onto another object', () => {
    const t = transformers(config(aesgcm(['key1', KEY1]))).for('', 'secrets');
    const stored = t.toStorage(SECRET, AT) as string;
    const prefix = 'k8s:enc:aesgcm:v1:key1:';
    const bytes = Buffer.from(stored.slice(prefix.length), 'base64');
    for (const at of [5, 70, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at] ^= 1;
      expect(() => t.fromStorage(prefix + flipped.toString('base64'), AT)).toThrow(
        'cipher: message authentication failed',
      );
    }
    expect(() => t.fromStorage(prefix + bytes.subarray(0, 40).toString('base64'), AT)).toThrow('truncated');
    expect(() => t.fromStorage(stored, { ...AT, name: 'other' })).toThrow('cipher: message authentication failed');
  });

  it('names objects by their etcd path, as kube-apiserver error messages do', () => {
    expect(storagePath(AT)).toBe('/registry/secrets/shop/db');
    expect(storagePath({ group: 'apps', resource: 'deployments', namespace: 'a', name: 'b' })).toBe(
      '/registry/apps/deployments/a/b',
    );
    expect(storagePath({ group: '', resource: 'namespaces', namespace: '', name: 'a' })).toBe('/registry/namespaces/a');
  });
});

describe(parseEncryptionConfiguration.name, () => {
  it('refuses what kube-apiserver refuses, naming the place', () => {
    const bad: [string, string][] = [
      ['kind: Other', 'kind EncryptionConfiguration'],
      [config(aesgcm(['key1', Buffer.alloc(8).toString('base64')])), 'got 8, expected one of [16 24 32]'],
      [config(aesgcm(['key1', KEY1], ['key1', KEY2])), '"key1" is used twice'],
      [config('      - secretbox:\n          keys: []\n'), 'provider "secretbox" is not supported'],
      [config('      - rot13: {}\n'), 'unknown provider "rot13"'],
      [config(aesgcm(['key1', 'not base64!'])), 'must be base64'],
      ['{', 'not YAML or JSON'],
    ];
    for (const [text, message] of bad) {
      expect(() => parseEncryptionConfiguration(text)).toThrow(EncryptionConfigError);
      expect(() => parseEncryptionConfiguration(text)).toThrow(message);
    }
  });

  it('accepts 16, 24 and 32 byte keys', () => {
    for (const n of [16, 24, 32]) {
      const t = transformers(config(aesgcm(['k', randomBytes(n).toString('base64')]))).for('', 'secrets');
      expect(t.fromStorage(t.toStorage(SECRET, AT), AT).object).toEqual(SECRET);
    }
  });
});
