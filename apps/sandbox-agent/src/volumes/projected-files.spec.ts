import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { ConfigObjectSource } from '../pods/env-resolver';
import { ConfigMap, Pod, Secret, Volume } from '@skiff/kube-types';
import { writeAtomically } from './atomic-writer';
import { volumePayload } from './projected-files';
import * as path from 'node:path';

const source = (cm: Record<string, string>): ConfigObjectSource => ({
  configMap: async (_ns, name): Promise<ConfigMap | undefined> =>
    name === 'cfg' ? { metadata: { name }, data: cm } : undefined,
  secret: async (_ns, name): Promise<Secret | undefined> =>
    name === 'sec' ? { metadata: { name }, data: { token: Buffer.from('s3cret').toString('base64') } } : undefined,
  services: async () => [],
  claim: async () => undefined,
  volume: async () => undefined,
  claimResized: async () => undefined,
  serviceAccountToken: async (p, opts) => `jwt:${p.metadata.uid}:${opts.audience ?? 'api'}:${opts.expirationSeconds}`,
});
const ctx = { podIP: '10.0.0.2', hostIP: '10.0.0.1', allocatable: { cpuMilli: 1000, memoryBytes: 2 ** 30 } };
const pod = (volumes: Volume[]): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { b: '2', a: '1' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes },
});
const files = async (v: Volume, cm: Record<string, string> = { a: 'A', b: 'B' }) =>
  Object.fromEntries(
    [...(await volumePayload(pod([v]), v, source(cm), ctx))].map(([k, f]) => [
      k,
      `${f.data.toString()}:${f.mode.toString(8)}`,
    ]),
  );

describe('projected volume files', () => {
  it('configMap: every key, or only the listed items with their paths and modes', async () => {
    expect(await files({ name: 'v', configMap: { name: 'cfg' } })).toEqual({ a: 'A:644', b: 'B:644' });
    expect(
      await files({
        name: 'v',
        configMap: {
          name: 'cfg',
          defaultMode: 0o400,
          items: [
            { key: 'b', path: 'dir/b.txt' },
            { key: 'a', path: 'a', mode: 0o600 },
          ],
        },
      }),
    ).toEqual({ 'dir/b.txt': 'B:400', a: 'A:600' });
  });

  it('missing sources fail the mount unless optional', async () => {
    await expect(files({ name: 'v', configMap: { name: 'nope' } })).rejects.toThrow('configmap "nope" not found');
    expect(await files({ name: 'v', configMap: { name: 'nope', optional: true } })).toEqual({});
    await expect(files({ name: 'v', configMap: { name: 'cfg', items: [{ key: 'zz', path: 'z' }] } })).rejects.toThrow(
      /non-existent config key: zz/,
    );
    await expect(
      files({ name: 'v', configMap: { name: 'cfg', items: [{ key: 'a', path: '../escape' }] } }),
    ).rejects.toThrow(/invalid path/);
  });

  it('secret, downwardAPI and projected sources', async () => {
    expect(await files({ name: 'v', secret: { secretName: 'sec', defaultMode: 0o440 } })).toEqual({
      token: 's3cret:440',
    });
    expect(
      await files({
        name: 'v',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          ],
        },
      }),
    ).toEqual({
      labels: 'a="1"\nb="2":644',
      name: 'p:644',
    });
    expect(
      await files({
        name: 'v',
        projected: {
          defaultMode: 0o444,
          sources: [
            { configMap: { name: 'cfg', items: [{ key: 'a', path: 'a' }] } },
            { secret: { name: 'sec' } },
            { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      }),
    ).toEqual({ a: 'A:444', token: 's3cret:444', ns: 'ns:444' });
  });
});

describe(writeAtomically.name, () => {
  it('lays files out like kubelet (..<ts> dir, ..data link, top-level links) and swaps on change only', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-test-atomic-'));
    try {
      const payload = (v: string) =>
        new Map([
          ['conf/mode', { data: Buffer.from(v), mode: 0o600 }],
          ['top', { data: Buffer.from('t'), mode: 0o644 }],
        ]);
      expect(await writeAtomically(dir, payload('v1'))).toBe(true);
      const first = await fs.readlink(path.join(dir, '..data'));
      expect(first).toMatch(/^\.\.\d{4}_/);
      expect(await fs.readlink(path.join(dir, 'conf'))).toBe('..data/conf');
      expect(await fs.readFile(path.join(dir, 'conf/mode'), 'utf8')).toBe('v1');
      expect((await fs.stat(path.join(dir, 'conf/mode'))).mode & 0o777).toBe(0o600);
      expect(await writeAtomically(dir, payload('v1'))).toBe(false);
      expect(await writeAtomically(dir, payload('v2'))).toBe(true);
      expect(await fs.readFile(path.join(dir, 'conf/mode'), 'utf8')).toBe('v2');
      const entries = (await fs.readdir(dir)).sort();
      expect(entries).toHaveLength(4);
      expect(entries).not.toContain(first);
      // A key that goes away loses its top-level link.
      expect(await writeAtomically(dir, new Map([['top', { data: Buffer.from('t'), mode: 0o644 }]]))).toBe(true);
      expect((await fs.readdir(dir)).filter((e) => !e.startsWith('..'))).toEqual(['top']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("kube-api-access: the pod's bound token, the cluster CA and the namespace", async () => {
    const v: Volume = {
      name: 'kube-api-access-x2v9k',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'cfg', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault/token' } },
        ],
      },
    };
    expect(await files(v, { 'ca.crt': 'PEM' })).toEqual({
      token: 'jwt:u:api:3607:644',
      'ca.crt': 'PEM:644',
      namespace: 'ns:644',
      'vault/token': 'jwt:u:vault:600:644',
    });
  });

  it('a token that cannot be had fails the mount as kubelet says it', async () => {
    const v: Volume = {
      name: 'kube-api-access-a',
      projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
    };
    const failing: ConfigObjectSource = {
      ...source({}),
      serviceAccountToken: async () => {
        throw new Error('serviceaccounts "default" not found');
      },
    };
    await expect(volumePayload(pod([v]), v, failing, ctx)).rejects.toThrow(
      'MountVolume.SetUp failed for volume "kube-api-access-a" : failed to fetch token: serviceaccounts "default" not found',
    );
  });
});
