import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PROJECT_CHARTS, runChart } from './fixtures/chart-cli';

// The app catalog on a real cluster: the project's chart repository (served by the scheduler) added, searched and
// installed from with the chart CLI; the same chart pushed to and pulled from the local OCI registry; and the
// declarative path, Flux's HelmRepository and HelmRelease, taking a release through install, upgrade, a failed
// upgrade rolled back, and uninstall. `kubectl get all` shows what the chart declared, and nothing after.

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe('app catalog: chart repositories, the chart CLI and HelmRelease objects', () => {
  let cluster: TestCluster;
  let helmHome: string;
  let pushedManifest: string | undefined;

  const chart = (...args: string[]) =>
    runChart([...args, '--kubeconfig', cluster.stack.kubeconfig], {
      HELM_REPOSITORY_CONFIG: path.join(helmHome, 'repositories.yaml'),
      HELM_REPOSITORY_CACHE: path.join(helmHome, 'cache'),
    });
  const getAll = async (ns: string) =>
    (await cluster.kubectl(['get', 'all', '-n', ns, '-o', 'name'])).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((n) => n.replace(/-[a-z0-9]{5,10}(-[a-z0-9]{5})?$/, '-*'))
      .sort();

  beforeAll(async () => {
    helmHome = mkdtempSync(path.join(tmpdir(), 'skiff-helm-'));
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    // The chart this test pushed to the local registry goes too (its manifest; the registry collects blobs).
    if (pushedManifest) await fetch(pushedManifest, { method: 'DELETE' });
    await cluster?.stop();
    rmSync(helmHome, { recursive: true, force: true });
  });

  it('adds, lists and searches the project repository', async () => {
    const add = await chart('repo', 'add', 'skiff', cluster.chartRepository);
    expect(add).toMatchObject({ code: 0, stdout: '"skiff" has been added to your repositories\n' });
    expect((await chart('repo', 'add', 'skiff', cluster.chartRepository)).stdout).toBe(
      '"skiff" already exists with the same configuration, skipping\n',
    );
    expect((await chart('repo', 'add', 'skiff', 'http://127.0.0.1:1')).stderr).toBe(
      'Error: repository name (skiff) already exists, please specify a different name\n',
    );
    const bad = await chart('repo', 'add', 'nowhere', 'http://127.0.0.1:1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^Error: looks like "http:\/\/127\.0\.0\.1:1" is not a valid chart repository or cannot be reached: /,
    );
    expect((await chart('repo', 'list')).stdout).toBe(`NAME \tURL\nskiff\t${cluster.chartRepository}\n`);
    expect((await chart('repo', 'update')).stdout).toBe(
      'Hang tight while we grab the latest from your chart repositories...\n...Successfully got an update from the "skiff" chart repository\nUpdate Complete. ⎈Happy Helming!⎈\n',
    );
    const search = await chart('search', 'repo', 'skiff');
    expect(search.stdout.split('\n')[0]).toMatch(/^NAME\s+\tCHART VERSION\tAPP VERSION\tDESCRIPTION$/);
    expect(search.stdout).toMatch(/\nskiff\/iperf3\s*\t0\.1\.0\s*\t3\.12\s*\tAn iperf3 server/);
    expect(search.stdout).toMatch(/\nskiff\/web\s*\t0\.1\.0\s*\t1\.36\s*\tA small web site/);
    expect((await chart('search', 'repo', 'busybox')).stdout).toMatch(/^NAME.*\nskiff\/web\s/);
    expect((await chart('search', 'repo', 'nothing-like-it')).stdout).toBe('No results found\n');
  });

  it('installs from the repository at a version, tests it, upgrades, rolls back and uninstalls', async () => {
    const ns = 'catalog-cli';
    const missing = await chart('install', 'web', 'skiff/web', '--version', '9.9.9', '-n', ns);
    expect(missing.stderr).toBe(
      `Error: chart "web" matching 9.9.9 not found in skiff index. (try 'helm repo update'): no chart version found for web-9.9.9\n`,
    );
    const dry = await chart('install', 'web', 'skiff/web', '--version', '^0.1', '-n', ns, '--dry-run');
    expect(dry.stdout).toMatch(
      /\nSTATUS: pending-install\nREVISION: 1\nHOOKS:\n---\n# Source: web\/templates\/tests\/test-connection.yaml\n/,
    );
    expect(dry.stdout).toContain('MANIFEST:\n---\n# Source: web/templates/configmap.yaml\n');
    expect((await cluster.kubectl(['get', 'namespace', ns])).code).toBe(1);

    const out = await chart(
      'install',
      'web',
      'skiff/web',
      '--version',
      '0.1.0',
      '-n',
      ns,
      '--create-namespace',
      '--wait',
      '--set',
      'message=Hello catalog',
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toMatch(
      /\nSTATUS: deployed\nREVISION: 1\nTEST SUITE: None\nNOTES:\nweb serves "Hello catalog" on port 80:/,
    );
    expect(await getAll(ns)).toEqual(['deployment.apps/web', 'pod/web-*', 'replicaset.apps/web-*', 'service/web']);

    const tested = await chart('test', 'web', '-n', ns, '--timeout', '2m');
    expect(tested.stderr).toBe('');
    expect(tested.stdout).toMatch(
      /\nTEST SUITE:     web-test-connection\nLast Started:   .+\nLast Completed: .+\nPhase:          Succeeded\n/,
    );

    // A change made by hand to the live Deployment, which the chart does not set: the upgrade's strategic merge
    // patch keeps it, as Helm's does.
    await cluster.kubectl(['set', 'env', 'deployment/web', '-n', ns, 'EXTRA=kept']);
    const up = await chart('upgrade', 'web', 'skiff/web', '-n', ns, '--wait', '--set', 'message=Second page');
    expect(up.stdout).toMatch(/^Release "web" has been upgraded\. Happy Helming!\n/);
    expect(
      (await cluster.kubectl(['get', 'configmap', 'web', '-n', ns, '-o', 'jsonpath={.data.index\\.html}'])).stdout,
    ).toBe('<h1>Second page</h1>');
    const env = () =>
      cluster
        .kubectl(['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].env}'])
        .then((r) => r.stdout);
    expect(JSON.parse(await env())).toEqual([{ name: 'EXTRA', value: 'kept' }]);
    expect((await chart('rollback', 'web', '1', '-n', ns, '--wait')).stdout).toBe(
      'Rollback was a success! Happy Helming!\n',
    );
    expect(JSON.parse(await env())).toEqual([{ name: 'EXTRA', value: 'kept' }]);
    expect(
      (await cluster.kubectl(['get', 'configmap', 'web', '-n', ns, '-o', 'jsonpath={.data.index\\.html}'])).stdout,
    ).toBe('<h1>Hello catalog</h1>');
    const history = await chart('history', 'web', '-n', ns);
    expect(
      history.stdout
        .split('\n')
        .slice(1, 4)
        .map((l) => l.split('\t').map((c) => c.trim())[2]),
    ).toEqual(['superseded', 'superseded', 'deployed']);
    expect((await chart('uninstall', 'web', '-n', ns)).stdout).toBe('release "web" uninstalled\n');
    await eventually(async () => (await getAll(ns)).length === 0, 60_000, 'nothing left of the release');
  }, 400_000);

  it('packages a chart, pushes it to the local OCI registry and renders it from there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skiff-chart-pkg-'));
    try {
      const pkg = await chart('package', path.join(PROJECT_CHARTS, 'iperf3'), '-d', dir);
      expect(pkg.stdout).toBe(`Successfully packaged chart and saved it to: ${path.join(dir, 'iperf3-0.1.0.tgz')}\n`);
      const remote = `oci://127.0.0.1:5000/skiff-e2e-${cluster.prefix}`;
      const pushed = await chart('push', path.join(dir, 'iperf3-0.1.0.tgz'), remote);
      expect(pushed.stderr).toBe('');
      expect(pushed.stdout).toMatch(
        new RegExp(
          `^Pushed: 127\\.0\\.0\\.1:5000/skiff-e2e-${cluster.prefix}/iperf3:0\\.1\\.0\\nDigest: sha256:[0-9a-f]{64}\\n$`,
        ),
      );
      const digest = /\nDigest: (sha256:[0-9a-f]{64})\n/.exec(pushed.stdout)?.[1];
      pushedManifest = `http://127.0.0.1:5000/v2/skiff-e2e-${cluster.prefix}/iperf3/manifests/${digest}`;
      const rendered = await chart('template', 'perf', `${remote}/iperf3`, '--version', '0.1.0');
      expect(rendered.stderr).toBe('');
      expect(rendered.stdout).toContain('# Source: iperf3/templates/deployment.yaml\n');
      expect(rendered.stdout).toContain('  name: perf-iperf3\n');
      expect((await chart('template', 'perf', `${remote}/iperf3`, '--version', '>=0.1 <1')).stdout).toContain(
        '  name: perf-iperf3\n',
      );
      expect((await chart('template', 'perf', `${remote}/iperf3`, '--version', '2.0.0')).stderr).toBe(
        `Error: 127.0.0.1:5000/skiff-e2e-${cluster.prefix}/iperf3:2.0.0: not found\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  describe('HelmRepository and HelmRelease', () => {
    const ns = 'catalog-flux';
    const hr = (jsonpath: string, name = 'web') =>
      cluster.kubectl(['get', 'helmrelease', name, '-n', ns, '-o', `jsonpath=${jsonpath}`]).then((r) => r.stdout);
    const conditions = async (name = 'web') =>
      JSON.parse((await hr('{.status.conditions}', name)) || '[]') as Condition[];
    const condition = async (type: string, name = 'web') => (await conditions(name)).find((c) => c.type === type);
    const setValues = (values: string) =>
      cluster.kubectl(['patch', 'helmrelease', 'web', '-n', ns, '--type=merge', '-p', `{"spec":{"values":${values}}}`]);
    const page = async () =>
      (await cluster.kubectl(['get', 'configmap', 'web', '-n', ns, '-o', 'jsonpath={.data.index\\.html}'])).stdout;

    it('kubectl apply installs the chart the HelmRelease names, and the repository is Ready', async () => {
      await cluster.kubectl(['create', 'namespace', ns]);
      const manifest = `
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: skiff, namespace: ${ns}}
spec: {url: "${cluster.chartRepository}", interval: 10m}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: ${ns}}
spec:
  interval: 10m
  timeout: 30s
  chart:
    spec: {chart: web, version: "0.1.x", sourceRef: {kind: HelmRepository, name: skiff}}
  upgrade:
    remediation: {remediateLastFailure: true}
  test: {enable: true}
  values: {message: First}
`;
      const applied = await cluster.kubectl(['apply', '-f', '-'], { stdin: manifest });
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toBe(
        'helmrepository.source.toolkit.fluxcd.io/skiff created\nhelmrelease.helm.toolkit.fluxcd.io/web created\n',
      );
      const wait = await cluster.kubectl(
        ['wait', '-n', ns, 'helmrelease/web', '--for=condition=Ready', '--timeout=240s'],
        {
          timeoutMs: 250_000,
        },
      );
      expect({ wait, conditions: await conditions() }).toMatchObject({ wait: { code: 0 } });
      expect(await condition('Released')).toMatchObject({
        status: 'True',
        reason: 'InstallSucceeded',
        message: `Helm install succeeded for release ${ns}/web.v1 with chart web@0.1.0`,
      });
      expect(await condition('TestSuccess')).toMatchObject({ status: 'True', reason: 'TestSucceeded' });
      const repo = await cluster.kubectl(['get', 'helmrepository', '-n', ns]);
      expect(repo.stdout).toMatch(/^NAME\s+URL\s+AGE\s+READY\s+STATUS\n/);
      expect(repo.stdout).toMatch(
        /\nskiff\s+http:\/\/127\.0\.0\.1:\d+\s+\S+\s+True\s+stored artifact: revision 'sha256:[0-9a-f]{64}'\n$/,
      );
      expect(await page()).toBe('<h1>First</h1>');
      // The test pod, deleted once it passed, may still be going.
      await eventually(async () => (await getAll(ns)).length === 4, 60_000, 'the test pod gone');
      expect(await getAll(ns)).toEqual(['deployment.apps/web', 'pod/web-*', 'replicaset.apps/web-*', 'service/web']);
      // The release is Helm's: a helm.sh/release.v1 Secret of gzip+base64 release JSON the chart CLI reads too.
      const secret = JSON.parse(
        (await cluster.kubectl(['get', 'secret', 'sh.helm.release.v1.web.v1', '-n', ns, '-o', 'json'])).stdout,
      ) as { type: string; data: { release: string } };
      expect(secret.type).toBe('helm.sh/release.v1');
      const rel = JSON.parse(
        gunzipSync(Buffer.from(Buffer.from(secret.data.release, 'base64').toString(), 'base64')).toString(),
      ) as Record<string, unknown>;
      expect(rel).toMatchObject({ name: 'web', namespace: ns, version: 1, config: { message: 'First' } });
      expect((await chart('status', 'web', '-n', ns)).stdout).toMatch(/\nSTATUS: deployed\nREVISION: 1\n/);
    }, 300_000);

    it('changed values upgrade the release', async () => {
      await setValues('{"message":"Second"}');
      await eventually(async () => (await hr('{.status.history[0].version}')) === '2', 240_000, 'revision 2');
      await eventually(async () => (await condition('Ready'))?.status === 'True', 120_000, 'Ready again');
      expect(await condition('Released')).toMatchObject({ reason: 'UpgradeSucceeded' });
      expect(await page()).toBe('<h1>Second</h1>');
    }, 400_000);

    it('a failed upgrade is rolled back to the last deployed revision', async () => {
      // An image that is not there: the pods never get ready and the upgrade's wait runs out.
      await setValues('{"message":"Third","image":{"tag":"no-such-tag"}}');
      await eventually(async () => (await condition('Remediated'))?.status === 'True', 240_000, 'the rollback');
      expect(await condition('Released')).toMatchObject({ status: 'False', reason: 'UpgradeFailed' });
      expect(await condition('Ready')).toMatchObject({ status: 'False', reason: 'UpgradeFailed' });
      expect(await condition('Remediated')).toMatchObject({
        reason: 'RollbackSucceeded',
        message: `Helm rollback to previous release ${ns}/web.v2 with chart web@0.1.0 succeeded`,
      });
      const history = (await chart('history', 'web', '-n', ns)).stdout
        .split('\n')
        .slice(1, 5)
        .map((l) => l.split('\t').map((c) => c.trim()));
      expect(history.map((r) => [r[0], r[2], r[5]])).toEqual([
        ['1', 'superseded', 'Install complete'],
        ['2', 'superseded', 'Upgrade complete'],
        ['3', 'failed', expect.stringMatching(/^Upgrade "web" failed: /)],
        ['4', 'deployed', 'Rollback to 2'],
      ]);
      expect(await page()).toBe('<h1>Second</h1>');
      expect(
        (
          await cluster.kubectl([
            'get',
            'deployment',
            'web',
            '-n',
            ns,
            '-o',
            'jsonpath={.spec.template.spec.containers[0].image}',
          ])
        ).stdout,
      ).toBe('busybox:1.36');
    }, 400_000);

    it('says so when the chart version is not in the repository, and deletes such a HelmRelease at once', async () => {
      const manifest = `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: nowhere, namespace: ${ns}}
spec:
  interval: 10m
  chart: {spec: {chart: web, version: 9.9.9, sourceRef: {kind: HelmRepository, name: skiff}}}
`;
      expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: manifest })).code).toBe(0);
      const ready = () => condition('Ready', 'nowhere');
      await eventually(async () => (await ready())?.status === 'False', 60_000, 'Ready False');
      expect(await ready()).toMatchObject({
        reason: 'ArtifactFailed',
        message: `chart "web" matching 9.9.9 not found in ${ns}/skiff index. (try 'helm repo update'): no chart version found for web-9.9.9`,
      });
      expect((await cluster.kubectl(['delete', 'hr', 'nowhere', '-n', ns, '--timeout=60s'])).code).toBe(0);
    }, 120_000);

    it('installs from an OCI HelmRepository (the chart pushed to the local registry above)', async () => {
      const manifest = `
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: registry, namespace: ${ns}}
spec: {type: oci, url: "oci://127.0.0.1:5000/skiff-e2e-${cluster.prefix}"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: perf, namespace: ${ns}}
spec:
  interval: 10m
  chart: {spec: {chart: iperf3, version: ">=0.1.0", sourceRef: {kind: HelmRepository, name: registry}}}
  install: {disableWait: true}
`;
      expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: manifest })).code).toBe(0);
      const wait = await cluster.kubectl(['wait', '-n', ns, 'hr/perf', '--for=condition=Ready', '--timeout=120s'], {
        timeoutMs: 130_000,
      });
      expect(wait.code).toBe(0);
      expect(
        (
          await cluster.kubectl([
            'get',
            'deployment',
            'perf-iperf3',
            '-n',
            ns,
            '-o',
            'jsonpath={.spec.template.spec.containers[0].image}',
          ])
        ).stdout,
      ).toBe('networkstatic/iperf3:latest');
      expect((await cluster.kubectl(['delete', 'hr', 'perf', '-n', ns, '--timeout=60s'])).code).toBe(0);
      expect((await cluster.kubectl(['get', 'deployment', 'perf-iperf3', '-n', ns])).code).toBe(1);
    }, 200_000);

    it('deleting the HelmRelease uninstalls the release and leaves nothing', async () => {
      const del = await cluster.kubectl(['delete', 'helmrelease', 'web', '-n', ns, '--timeout=120s'], {
        timeoutMs: 130_000,
      });
      expect(del.stdout).toBe('helmrelease.helm.toolkit.fluxcd.io "web" deleted\n');
      await eventually(async () => (await getAll(ns)).length === 0, 60_000, 'nothing left of the release');
      expect((await cluster.kubectl(['get', 'secrets', '-n', ns, '-l', 'owner=helm', '-o', 'name'])).stdout).toBe('');
      expect((await cluster.kubectl(['get', 'all', '-n', ns])).stderr).toBe(`No resources found in ${ns} namespace.\n`);
    }, 200_000);
  });
});
