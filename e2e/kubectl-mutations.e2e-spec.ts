import { eventually, startKubectl, startTestCluster, TestCluster } from '@skiff/testing';
import { chmodSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: busybox
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
        - name: sidecar
          image: busybox
`;

describe('kubectl: label, annotate, patch, scale, edit, delete, watch', () => {
  let cluster: TestCluster;
  const ns = 'mut';
  // -n first: arguments after `--` belong to the container command.
  const k = (...args: string[]) => cluster.kubectl(['-n', ns, ...args]);
  const jsonpath = async (what: string, expr: string) => (await k('get', what, '-o', `jsonpath=${expr}`)).stdout;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc']);
    await cluster.kubectl(['create', 'ns', ns]);
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: DEPLOYMENT });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('labels and annotates', async () => {
    expect((await k('label', 'deploy', 'api', 'tier=backend')).stdout.trim()).toBe('deployment.apps/api labeled');
    expect((await k('annotate', 'deploy', 'api', 'owner=team-a')).stdout.trim()).toBe('deployment.apps/api annotated');
    expect(await jsonpath('deploy/api', '{.metadata.labels.tier} {.metadata.annotations.owner}')).toBe(
      'backend team-a',
    );
    expect((await k('get', 'deploy', '-l', 'tier=backend', '-o', 'name')).stdout.trim()).toBe('deployment.apps/api');
    expect((await k('get', 'deploy', '-l', 'tier in (frontend)')).stderr.trim()).toBe(
      `No resources found in ${ns} namespace.`,
    );
    expect((await k('label', 'deploy', 'api', 'tier-')).stdout.trim()).toBe('deployment.apps/api unlabeled');
  });

  it('patches with strategic merge, merge and JSON patch', async () => {
    const smp = await k(
      'patch',
      'deploy',
      'api',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"api","image":"busybox:1.36"}]}}}}',
    );
    expect(smp.stdout.trim()).toBe('deployment.apps/api patched');
    // Strategic merge keeps the sidecar: containers merge by name.
    expect(
      await jsonpath(
        'deploy/api',
        '{.spec.template.spec.containers[*].name} {.spec.template.spec.containers[0].image}',
      ),
    ).toBe('api sidecar busybox:1.36');
    await k(
      'patch',
      'deploy',
      'api',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}',
    );
    expect(await jsonpath('deploy/api', '{.spec.template.spec.containers[*].name}')).toBe('api');

    expect(
      (await k('patch', 'deploy', 'api', '--type=merge', '-p', '{"metadata":{"labels":{"via":"merge"}}}')).code,
    ).toBe(0);
    expect(await jsonpath('deploy/api', '{.metadata.labels.via}')).toBe('merge');

    const jp = await k(
      'patch',
      'deploy',
      'api',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/template/spec/containers/0/env/1/value","value":"3"}]',
    );
    expect(jp.code).toBe(0);
    expect(await jsonpath('deploy/api', '{.spec.template.spec.containers[0].env[1].value}')).toBe('3');

    const noop = await k('patch', 'deploy', 'api', '--type=merge', '-p', '{"metadata":{"labels":{"via":"merge"}}}');
    expect(noop.stdout.trim()).toBe('deployment.apps/api patched (no change)');
  });

  it('scales through the scale subresource', async () => {
    expect((await k('scale', 'deploy', 'api', '--replicas=3')).stdout.trim()).toBe('deployment.apps/api scaled');
    expect(await jsonpath('deploy/api', '{.spec.replicas}')).toBe('3');
  });

  it('refuses a replace based on a stale resourceVersion', async () => {
    const stale = path.join(cluster.stateDir, 'stale.json');
    writeFileSync(stale, (await k('get', 'deploy', 'api', '-o', 'json')).stdout);
    await k('label', 'deploy', 'api', 'bump=1');
    const res = await k('replace', '-f', stale);
    expect(res.stderr.trim()).toBe(
      `Error from server (Conflict): error when replacing "${stale}": Operation cannot be fulfilled on deployments.apps "api": the object has been modified; please apply your changes to the latest version and try again`,
    );
  });

  it('edits with KUBE_EDITOR', async () => {
    const editor = path.join(cluster.stateDir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/replicas: 3/replicas: 5/" "$1"\n');
    chmodSync(editor, 0o755);
    const res = await cluster.kubectl(['edit', 'deploy', 'api', '-n', ns], { env: { KUBE_EDITOR: editor } });
    expect(res.stdout.trim()).toBe('deployment.apps/api edited');
    expect(await jsonpath('deploy/api', '{.spec.replicas}')).toBe('5');
  });

  it('watches pods and sees a change', async () => {
    await k('run', 'watched', '--image=busybox', '--restart=Never');
    const watch = startKubectl(cluster, ['get', 'pods', '-n', ns, '-w', '--output-watch-events']);
    try {
      await eventually(
        async () => /ADDED\s+watched\s+0\/1\s+Pending/.test(watch.output()),
        15_000,
        'the initial ADDED event',
      );
      await k('label', 'pod', 'watched', 'seen=yes');
      await eventually(
        async () => /MODIFIED\s+watched\s+0\/1\s+Pending/.test(watch.output()),
        15_000,
        'the MODIFIED event',
      );
    } finally {
      await watch.stop();
    }
  });

  it("creates objects with kubectl's generators (protobuf bodies)", async () => {
    expect(
      (await k('create', 'deployment', 'gen', '--image=nginx:1.27', '--replicas=2', '--port=80')).stdout.trim(),
    ).toBe('deployment.apps/gen created');
    expect(
      await jsonpath(
        'deploy/gen',
        '{.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].ports[0].containerPort}',
      ),
    ).toBe('2 gen 80');
    expect((await k('create', 'configmap', 'settings', '--from-literal=mode=fast')).stdout.trim()).toBe(
      'configmap/settings created',
    );
    expect((await k('create', 'secret', 'generic', 'creds', '--from-literal=user=admin')).stdout.trim()).toBe(
      'secret/creds created',
    );
    expect(Buffer.from(await jsonpath('secret/creds', '{.data.user}'), 'base64').toString()).toBe('admin');
    expect((await k('create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi')).stdout.trim()).toBe(
      'job.batch/once created',
    );
    expect(await jsonpath('job/once', '{.spec.template.spec.containers[0].command}')).toBe('["echo","hi"]');
    expect(
      (await k('create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date')).stdout.trim(),
    ).toBe('cronjob.batch/tick created');
    expect((await k('expose', 'deployment', 'gen', '--port=80', '--target-port=8080')).stdout.trim()).toBe(
      'service/gen exposed',
    );
    expect(await jsonpath('svc/gen', '{.spec.type} {.spec.ports[0].targetPort} {.spec.selector.app}')).toBe(
      'ClusterIP 8080 gen',
    );
  });

  it('applies with --dry-run=server without storing anything', async () => {
    const res = await cluster.kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], {
      stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry}\ndata: {a: "1"}\n',
    });
    expect(res.stdout.trim()).toBe('configmap/dry created (server dry run)');
    expect((await k('get', 'cm', 'dry')).stderr.trim()).toBe(
      'Error from server (NotFound): configmaps "dry" not found',
    );
  });

  it('deletes and returns once the object is gone', async () => {
    const res = await k('delete', 'deploy', 'api');
    expect(res.stdout.trim()).toBe('deployment.apps "api" deleted');
    const gone = await k('get', 'deploy', 'api');
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "api" not found');
  });

  it('deletes a namespace with everything in it', async () => {
    await cluster.kubectl(['create', 'ns', 'doomed']);
    await cluster.kubectl(['create', 'configmap', 'c1', '-n', 'doomed', '--from-literal=a=b']);
    const res = await cluster.kubectl(['delete', 'ns', 'doomed'], { timeoutMs: 60_000 });
    expect(res.stdout.trim()).toBe('namespace "doomed" deleted');
    expect((await cluster.kubectl(['get', 'ns', 'doomed'])).stderr).toContain('namespaces "doomed" not found');
    expect((await cluster.kubectl(['get', 'cm', 'c1', '-n', 'doomed'])).stderr).toContain('not found');
  });

  it('serves Prometheus metrics', async () => {
    const res = await cluster.kubectl(['get', '--raw', '/metrics']);
    expect(res.stdout).toMatch(
      /^apiserver_request_total\{.*verb="PATCH".*resource="deployments".*code="200".*\} \d+$/m,
    );
    expect(res.stdout).toMatch(/^apiserver_request_duration_seconds_bucket\{/m);
  });
});
