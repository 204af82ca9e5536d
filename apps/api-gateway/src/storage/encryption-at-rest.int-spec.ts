import { encryptionConfigYaml } from '@skiff/config';
import { apiRequest, eventually, openWatch, runCommand, startTestCluster, TestCluster } from '@skiff/testing';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';

// Secrets at rest, through the real kubectl: ciphertext in every Postgres row that holds them, plaintext only
// through the API; key rotation with the re-encryption script; a missing key is a 500, never plaintext or a crash.
describe('Secrets encrypted at rest', () => {
  let cluster: TestCluster;
  let db: Client;
  let configFile: string;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const plaintexts = [password, Buffer.from(password).toString('base64'), token, Buffer.from(token).toString('base64')];

  beforeAll(async () => {
    cluster = await startTestCluster();
    configFile = path.join(cluster.stateDir, 'encryption-config.yaml');
    db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await cluster?.stop();
  });

  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await cluster.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const rawRow = async (name: string): Promise<string> => {
    const res = await db.query<{ body: string }>(
      "SELECT body::text AS body FROM objects WHERE resource = 'secrets' AND namespace = 'default' AND name = $1",
      [name],
    );
    return res.rows[0].body;
  };
  const rawChanges = async (name: string): Promise<string[]> => {
    const res = await db.query<{ body: string; prev: string | null }>(
      "SELECT body::text AS body, prev_body::text AS prev FROM object_changes WHERE resource = 'secrets' AND name = $1",
      [name],
    );
    return res.rows.flatMap((r) => [r.body, ...(r.prev ? [r.prev] : [])]);
  };
  const password_of = async (name: string): Promise<string> =>
    Buffer.from(await kubectl('get', 'secret', name, '-o', 'jsonpath={.data.password}'), 'base64').toString();

  it('stores data and stringData as AES-GCM ciphertext, in the object row and the change log', async () => {
    await kubectl('create', 'secret', 'generic', 'db', `--from-literal=password=${password}`);
    await kubectl('label', 'secret', 'db', 'app=db');
    const manifest = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'api', labels: { app: 'api' } },
      type: 'example.com/token',
      stringData: { token },
    };
    await cluster.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) });

    for (const name of ['db', 'api']) {
      const row = await rawRow(name);
      expect(row).toMatch(/^"k8s:enc:aesgcm:v1:key1:[A-Za-z0-9+/=]+"$/);
      const changes = await rawChanges(name);
      expect(changes.length).toBeGreaterThan(0);
      for (const stored of [row, ...changes]) {
        expect(stored).toMatch(/^"k8s:enc:aesgcm:v1:key1:/);
        for (const p of plaintexts) expect(stored).not.toContain(p);
      }
    }
    // Other resources stay readable JSON.
    await kubectl('create', 'configmap', 'plain', '--from-literal=a=1');
    const cm = await db.query<{ body: { data: { a: string } } }>("SELECT body FROM objects WHERE name = 'plain'");
    expect(cm.rows[0].body.data.a).toBe('1');
  });

  it('reads back through kubectl with selectors, lists and watches as before', async () => {
    expect(await password_of('db')).toBe(password);
    expect(
      Buffer.from(await kubectl('get', 'secret', 'api', '-o', 'jsonpath={.data.token}'), 'base64').toString(),
    ).toBe(token);
    expect((await kubectl('get', 'secrets', '-l', 'app=db', '-o', 'name')).trim()).toBe('secret/db');
    expect((await kubectl('get', 'secrets', '--field-selector', 'type=example.com/token', '-o', 'name')).trim()).toBe(
      'secret/api',
    );
    expect((await kubectl('get', 'secrets', '-A', '--field-selector', 'metadata.name=db', '-o', 'name')).trim()).toBe(
      'secret/db',
    );

    const list = (await apiRequest(cluster.stack, 'GET', '/api/v1/namespaces/default/secrets')).body as {
      metadata: { resourceVersion: string };
    };
    const w = openWatch(
      cluster.stack,
      `/api/v1/namespaces/default/secrets?watch=true&labelSelector=app%3Ddb&resourceVersion=${list.metadata.resourceVersion}`,
    );
    await kubectl('annotate', 'secret', 'db', 'note=watched');
    await kubectl('label', 'secret', 'db', 'app-');
    await eventually(async () => w.events.length >= 2, 15_000, 'the watch events');
    w.close();
    const [modified, left] = w.events as { type: string; object: { data?: { password?: string } } }[];
    expect(modified.type).toBe('MODIFIED');
    expect(Buffer.from(modified.object.data!.password!, 'base64').toString()).toBe(password);
    expect(left.type).toBe('DELETED'); // left the label selector
  });

  it('rotates: a new first key writes, the old key still reads, and the script re-encrypts everything', async () => {
    const original = readFileSync(configFile, 'utf8');
    const key1 = /secret: (\S+)/.exec(original)![1];
    const key2 = randomBytes(32).toString('base64');
    writeFileSync(
      configFile,
      rotated([
        ['key2', key2],
        ['key1', key1],
      ]),
    );
    await cluster.stack.restartApiServer();

    expect(await rawRow('db')).toMatch(/^"k8s:enc:aesgcm:v1:key1:/);
    expect(await password_of('db')).toBe(password);
    await kubectl('create', 'secret', 'generic', 'fresh', '--from-literal=password=x');
    expect(await rawRow('fresh')).toMatch(/^"k8s:enc:aesgcm:v1:key2:/);

    const rvBefore = await kubectl('get', 'secret', 'db', '-o', 'jsonpath={.metadata.resourceVersion}');
    const out = await reencrypt();
    expect(out).toMatch(/^secrets: \d+ replaced/m);
    for (const name of ['db', 'api', 'fresh']) {
      const row = await rawRow(name);
      expect(row).toMatch(/^"k8s:enc:aesgcm:v1:key2:/);
      for (const p of plaintexts) expect(row).not.toContain(p);
    }
    const rvAfter = await kubectl('get', 'secret', 'db', '-o', 'jsonpath={.metadata.resourceVersion}');
    expect(Number(rvAfter)).toBeGreaterThan(Number(rvBefore));
    expect(await password_of('db')).toBe(password);
    // Everything is current now: a second run rewrites nothing.
    await reencrypt();
    expect(await kubectl('get', 'secret', 'db', '-o', 'jsonpath={.metadata.resourceVersion}')).toBe(rvAfter);

    // key1 can go now; without key2 the Secrets are unreadable: a 500 in kube-apiserver's words, the server stays up.
    writeFileSync(configFile, rotated([['key3', randomBytes(32).toString('base64')]]));
    await cluster.stack.restartApiServer();
    const r = await cluster.kubectl(['get', 'secret', 'db']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Error from server (InternalError): Internal error occurred: unable to transform key "/registry/secrets/default/db": no matching prefix found',
    );
    expect(await kubectl('get', 'configmap', 'plain', '-o', 'name')).toContain('configmap/plain');

    writeFileSync(configFile, rotated([['key2', key2]]));
    await cluster.stack.restartApiServer();
    expect(await password_of('db')).toBe(password);
  }, 180_000);

  function rotated(keys: [string, string][]): string {
    return encryptionConfigYaml(keys.map(([name, secret]) => ({ name, secret })));
  }

  async function reencrypt(): Promise<string> {
    const r = await runCommand(process.execPath, [
      path.resolve('dist/scripts/encrypt-secrets.js'),
      '--kubeconfig',
      cluster.stack.kubeconfig,
      '--encryption-config',
      configFile,
    ]);
    if (r.code !== 0) throw new Error(`encrypt-secrets: ${r.stderr}`);
    return r.stdout;
  }
});
