import { startTestCluster, TestCluster } from '@skiff/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const APP = path.join(__dirname, 'fixtures', 'app.yaml');

describe('kubectl: apply, get, diff', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc']);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers /readyz and lists the system namespaces', async () => {
    expect((await cluster.kubectl(['get', '--raw', '/readyz'])).stdout).toBe('ok');
    const ns = await cluster.kubectl(['get', 'ns']);
    expect(ns.stderr).toBe('');
    expect(ns.stdout).toMatch(/^NAME\s+STATUS\s+AGE/);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      expect(ns.stdout).toMatch(new RegExp(`^${name}\\s+Active\\s+`, 'm'));
    }
  });

  it('lists api-resources with short names and groups', async () => {
    const res = await cluster.kubectl(['api-resources']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(res.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(res.stdout).toMatch(/^storageclasses\s+sc\s+storage\.k8s\.io\/v1\s+false\s+StorageClass$/m);
  });

  it('applies a multi-document file: created, then unchanged, then configured', async () => {
    const first = await cluster.kubectl(['apply', '-f', APP]);
    expect(first.stderr).toBe('');
    expect(first.stdout.trim().split('\n')).toEqual([
      'namespace/shop created',
      'configmap/web-config created',
      'secret/web-secret created',
      'deployment.apps/web created',
      'service/web created',
      'job.batch/migrate created',
      'cronjob.batch/report created',
      'ingress.networking.k8s.io/web created',
    ]);
    const again = await cluster.kubectl(['apply', '-f', APP]);
    expect(
      again.stdout
        .trim()
        .split('\n')
        .every((l) => l.endsWith(' unchanged')),
    ).toBe(true);

    const changed = readFileSync(APP, 'utf8')
      .replace('image: nginx:1.27', 'image: nginx:1.28')
      .replace('greeting: hello', 'greeting: hi');
    const file = path.join(cluster.stateDir, 'app-changed.yaml');
    writeFileSync(file, changed);
    const diff = await cluster.kubectl(['diff', '-f', file]);
    expect(diff.code).toBe(1); // kubectl diff exits 1 when there are differences
    expect(diff.stdout).toMatch(/^-\s+image: nginx:1\.27$/m);
    expect(diff.stdout).toMatch(/^\+\s+image: nginx:1\.28$/m);
    const third = await cluster.kubectl(['apply', '-f', file]);
    expect(third.stdout).toContain('deployment.apps/web configured');
    expect(third.stdout).toContain('configmap/web-config configured');
    expect(third.stdout).toContain('service/web unchanged');
    const image = await cluster.kubectl([
      'get',
      'deploy',
      'web',
      '-n',
      'shop',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}',
    ]);
    expect(image.stdout).toBe('nginx:1.28 2');
    expect((await cluster.kubectl(['diff', '-f', file])).code).toBe(0);
  });

  it('prints objects as yaml, json, wide and name', async () => {
    const yaml = await cluster.kubectl(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^kind: ConfigMap$/m);
    expect(yaml.stdout).toMatch(/^  resourceVersion: "\d+"$/m);
    const json = JSON.parse(
      (await cluster.kubectl(['get', 'secret', 'web-secret', '-n', 'shop', '-o', 'json'])).stdout,
    );
    expect(Buffer.from(json.data.password, 'base64').toString()).toBe('s3cret');
    const wide = await cluster.kubectl(['get', 'deploy', '-n', 'shop', '-o', 'wide']);
    expect(wide.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    expect(wide.stdout).toMatch(/^web\s+0\/2\s+0\s+0\s+\S+\s+web\s+nginx:1\.\d+\s+app=web$/m);
    const names = await cluster.kubectl(['get', 'svc,cm', '-n', 'shop', '-o', 'name']);
    expect(names.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['service/web', 'configmap/web-config']));
  });

  it('lists everything in the "all" category across namespaces', async () => {
    const all = await cluster.kubectl(['get', 'all', '-A']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^shop\s+service\/web\s+ClusterIP/m);
    expect(all.stdout).toMatch(/^shop\s+deployment\.apps\/web\s+0\/2/m);
    expect(all.stdout).toMatch(/^shop\s+cronjob\.batch\/report\s+\*\/5 \* \* \* \*/m);
    expect(all.stdout).toMatch(/^shop\s+job\.batch\/migrate\s+/m);
  });

  it('applies server-side and reports conflicts with other managers', async () => {
    const file = path.join(cluster.stateDir, 'ssa.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  a: "1"\n',
    );
    const created = await cluster.kubectl(['apply', '--server-side', '-f', file]);
    expect(created.stdout.trim()).toBe('configmap/ssa serverside-applied');
    const managers = await cluster.kubectl([
      'get',
      'cm',
      'ssa',
      '-n',
      'shop',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
      '--show-managed-fields',
    ]);
    expect(managers.stdout).toBe('kubectl');
    await cluster.kubectl([
      'patch',
      'cm',
      'ssa',
      '-n',
      'shop',
      '--type=merge',
      '-p',
      '{"data":{"a":"2"}}',
      '--field-manager=other',
    ]);
    const conflict = await cluster.kubectl(['apply', '--server-side', '-f', file]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "other"');
    expect(conflict.stderr).toContain('.data.a');
    const forced = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
    expect(forced.stdout.trim()).toBe('configmap/ssa serverside-applied');
    expect((await cluster.kubectl(['get', 'cm', 'ssa', '-n', 'shop', '-o', 'jsonpath={.data.a}'])).stdout).toBe('1');
  });

  it('explains fields from the OpenAPI documents', async () => {
    const res = await cluster.kubectl(['explain', 'deployment.spec']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^GROUP:\s+apps$/m);
    expect(res.stdout).toMatch(/^KIND:\s+Deployment$/m);
    expect(res.stdout).toMatch(/^FIELD: spec <DeploymentSpec>$/m);
    expect(res.stdout).toMatch(/^\s+replicas\s+<integer>$/m);
  });
});
