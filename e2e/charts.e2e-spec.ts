import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { gunzipSync } from 'node:zlib';
import { runChart, SHOP_CHART as CHART } from './fixtures/chart-cli';

// `npm run chart -- install|list|status|history|get|uninstall` against a cluster with a sandbox host: the project's
// chart (e2e/fixtures/charts/shop) installed with its CRD, pre-install hook and subchart, kept as Helm 3 keeps
// releases, and removed.

describe('chart install and uninstall (Helm 3 releases on a real cluster)', () => {
  let cluster: TestCluster;
  let password: string;
  const ns = 'charts';

  const chart = (...args: string[]) => runChart([...args, '--kubeconfig', cluster.stack.kubeconfig]);
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('installs the chart: the CRD, the pre-install hook, then the objects, waited for', async () => {
    const out = await chart(
      'install',
      'shop',
      CHART,
      '-n',
      ns,
      '--create-namespace',
      '--wait',
      '--set',
      'replicaCount=2',
    );
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(
      /^NAME: shop\nLAST DEPLOYED: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nNAMESPACE: charts\nSTATUS: deployed\nREVISION: 1\nTEST SUITE: None\nNOTES:\nshop-shop is installed with 2 replica\(s\)\.\n$/,
    );
    expect((await k('get', 'deployment', 'shop-shop', '-o', 'jsonpath={.status.readyReplicas}')).stdout).toBe('2');
    expect((await k('get', 'configmap', 'shop-cache', '-o', 'jsonpath={.data.size}')).stdout).toBe('64');
    expect(
      (await k('get', 'service', 'shop-shop', '-o', 'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}'))
        .stdout,
    ).toBe('shop');
    expect((await cluster.kubectl(['get', 'crd', 'widgets.shop.example.com'])).code).toBe(0);
    // The hook ran and, being hook-succeeded, is gone; the test hook was not run.
    expect((await k('get', 'jobs', '-o', 'name')).stdout).toBe('');
    expect((await k('get', 'pod', 'shop-shop-test')).stderr).toContain('not found');
    // lookup found no Secret yet: the template made a password.
    password = (await k('get', 'secret', 'shop-shop-auth', '-o', 'jsonpath={.data.password}')).stdout;
    expect(Buffer.from(password, 'base64').toString()).toMatch(/^[A-Za-z0-9]{20}$/);
  }, 240_000);

  it('keeps the release as Helm 3 does: a helm.sh/release.v1 Secret holding gzip+base64 release JSON', async () => {
    const secret = await k('get', 'secret', 'sh.helm.release.v1.shop.v1', '-o', 'json');
    const obj = JSON.parse(secret.stdout) as {
      type: string;
      metadata: { labels: Record<string, string> };
      data: { release: string };
    };
    expect(obj.type).toBe('helm.sh/release.v1');
    expect(obj.metadata.labels).toMatchObject({ name: 'shop', owner: 'helm', status: 'deployed', version: '1' });
    const rel = JSON.parse(
      gunzipSync(Buffer.from(Buffer.from(obj.data.release, 'base64').toString(), 'base64')).toString(),
    ) as Record<string, unknown>;
    expect(rel).toMatchObject({
      name: 'shop',
      namespace: ns,
      version: 1,
      config: { replicaCount: 2 },
      info: { status: 'deployed', description: 'Install complete', deleted: '' },
      chart: { metadata: { name: 'shop', version: '0.1.0', appVersion: '1.36' } },
    });
    expect(rel.manifest).toContain('# Source: shop/templates/deployment.yaml\n');
    expect(
      (rel.hooks as { name: string; last_run: { phase: string } }[]).map((h) => `${h.name} ${h.last_run.phase}`),
    ).toEqual(['shop-shop-test ', 'shop-shop-prepare Succeeded']);
  });

  it('lists, shows and refuses to reuse the release', async () => {
    const list = await chart('list', '-n', ns);
    expect(list.stdout).toMatch(/^NAME\s*\tNAMESPACE\s*\tREVISION\s*\tUPDATED\s*\tSTATUS\s*\tCHART\s*\tAPP VERSION\n/);
    expect(list.stdout).toMatch(
      /\nshop\s*\tcharts\s*\t1\s*\t\d{4}-\d\d-\d\d [\d:.]+ \+0000 UTC\s*\tdeployed\s*\tshop-0\.1\.0\s*\t1\.36\n$/,
    );
    expect((await chart('status', 'shop', '-n', ns)).stdout).toContain('STATUS: deployed\nREVISION: 1\n');
    expect((await chart('history', 'shop', '-n', ns)).stdout).toMatch(
      /\n1\s*\t.+\tdeployed\s*\tshop-0\.1\.0\s*\t1\.36\s*\tInstall complete\n$/,
    );
    expect((await chart('get', 'values', 'shop', '-n', ns)).stdout).toBe('USER-SUPPLIED VALUES:\nreplicaCount: 2\n');
    expect((await chart('get', 'manifest', 'shop', '-n', ns)).stdout).toContain(
      '# Source: shop/charts/cache/templates/configmap.yaml\n',
    );
    const again = await chart('install', 'shop', CHART, '-n', ns);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('Error: cannot re-use a name that is still in use\n');
  });

  it('upgrades: the live objects patched (a change made by hand kept), a dropped object deleted, revision 1 superseded', async () => {
    expect((await k('label', 'deployment', 'shop-shop', 'drift=by-hand')).code).toBe(0);
    const out = await chart(
      'upgrade',
      'shop',
      CHART,
      '-n',
      ns,
      '--wait',
      '--set',
      'replicaCount=3,cache.enabled=false',
    );
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(
      /^Release "shop" has been upgraded\. Happy Helming!\nNAME: shop\n[^]*\nSTATUS: deployed\nREVISION: 2\n/,
    );
    expect(
      (await k('get', 'deployment', 'shop-shop', '-o', 'jsonpath={.status.readyReplicas} {.metadata.labels.drift}'))
        .stdout,
    ).toBe('3 by-hand');
    await eventually(
      async () => (await k('get', 'configmap', 'shop-cache')).code !== 0,
      30_000,
      'the cache ConfigMap gone',
    );
    expect((await k('get', 'jobs', '-o', 'name')).stdout).toBe('');
    // lookup read the live Secret during the upgrade's render: the password is kept.
    expect((await k('get', 'secret', 'shop-shop-auth', '-o', 'jsonpath={.data.password}')).stdout).toBe(password);
    const history = (await chart('history', 'shop', '-n', ns)).stdout;
    expect(history).toMatch(
      /\n1\s*\t.+\tsuperseded\s*\tshop-0\.1\.0\s*\t1\.36\s*\tInstall complete\n2\s*\t.+\tdeployed\s*\tshop-0\.1\.0\s*\t1\.36\s*\tUpgrade complete\n$/,
    );
    expect((await chart('get', 'values', 'shop', '-n', ns)).stdout).toBe(
      'USER-SUPPLIED VALUES:\ncache:\n  enabled: false\nreplicaCount: 3\n',
    );
    const all = (await chart('get', 'values', 'shop', '-n', ns, '-a')).stdout;
    expect(all).toMatch(/^COMPUTED VALUES:\ncache:\n  enabled: false\n  size: 64\nconfig:\n/);
    expect(all).toContain('\nreplicaCount: 3\nservice:\n  port: 80\n');
  }, 240_000);

  it('rolls back to revision 1 as a new revision', async () => {
    const out = await chart('rollback', 'shop', '1', '-n', ns, '--wait');
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('Rollback was a success! Happy Helming!\n');
    expect((await k('get', 'deployment', 'shop-shop', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('2');
    expect((await k('get', 'configmap', 'shop-cache', '-o', 'jsonpath={.data.size}')).stdout).toBe('64');
    const history = (await chart('history', 'shop', '-n', ns)).stdout;
    expect(history).toMatch(
      /\n2\s*\t.+\tsuperseded\s*\t.+\tUpgrade complete\n3\s*\t.+\tdeployed\s*\t.+\tRollback to 1\n$/,
    );
    expect((await chart('get', 'values', 'shop', '-n', ns)).stdout).toBe('USER-SUPPLIED VALUES:\nreplicaCount: 2\n');
    expect((await chart('rollback', 'shop', '9', '-n', ns)).stderr).toBe('Error: release has no 9 version\n');
  }, 240_000);

  it('uninstalls: the objects and the history go, the CRD stays', async () => {
    const out = await chart('uninstall', 'shop', '-n', ns);
    expect(out.stdout).toBe('release "shop" uninstalled\n');
    await eventually(
      async () =>
        (await k('get', 'deployments,services,configmaps', '-l', 'app.kubernetes.io/managed-by=Helm', '-o', 'name'))
          .stdout === '',
      60_000,
      'the release objects gone',
    );
    expect((await k('get', 'secrets', '-l', 'owner=helm', '-o', 'name')).stdout).toBe('');
    expect((await cluster.kubectl(['get', 'crd', 'widgets.shop.example.com'])).code).toBe(0);
    expect((await chart('status', 'shop', '-n', ns)).stderr).toBe('Error: release: not found\n');
  }, 120_000);

  it('upgrade --install installs a release that is not there; without --install it is refused', async () => {
    expect((await chart('upgrade', 'fresh', CHART, '-n', ns)).stderr).toBe(
      'Error: UPGRADE FAILED: "fresh" has no deployed releases\n',
    );
    const out = await chart(
      'upgrade',
      'fresh',
      CHART,
      '-n',
      ns,
      '--install',
      '--no-hooks',
      '--set',
      'cache.enabled=false',
    );
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(
      /^Release "fresh" does not exist\. Installing it now\.\nNAME: fresh\n[^]*STATUS: deployed\nREVISION: 1\n/,
    );
    expect((await chart('uninstall', 'fresh', '-n', ns)).stdout).toBe('release "fresh" uninstalled\n');
  }, 120_000);

  it('rolls a failed --atomic install back', async () => {
    const out = await chart(
      'install',
      'broken',
      CHART,
      '-n',
      ns,
      '--atomic',
      '--timeout',
      '15s',
      '--no-hooks',
      '--set',
      'image.repository=busybox-that-is-not-there',
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      'Error: release broken failed, and has been uninstalled due to atomic being set: context deadline exceeded\n',
    );
    expect((await k('get', 'secrets', '-l', 'owner=helm,name=broken', '-o', 'name')).stdout).toBe('');
    await eventually(
      async () => (await k('get', 'deployment', 'broken-shop')).code !== 0,
      60_000,
      'the deployment gone',
    );
  }, 120_000);
});
