import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

// What kubectl 1.32 and raw clients see where upstream kube-apiserver is the yardstick
// (the places issue #8 found broken: data safety, served kinds, answers).
describe('API conformance with the real kubectl', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const kubectl = (args: string[], stdin?: string) => cluster.kubectl(args, stdin === undefined ? {} : { stdin });
  const file = (name: string, text: string): string => {
    const p = path.join(cluster.stateDir, name);
    writeFileSync(p, text);
    return p;
  };

  it('refuses to delete default, kube-system and kube-public, and brings kube-node-lease back', async () => {
    await kubectl(['create', 'configmap', 'keep', '-n', 'default', '--from-literal=a=1']);
    const res = await kubectl(['delete', 'namespace', '--all']);
    expect(res.stdout.trim()).toBe('namespace "kube-node-lease" deleted');
    expect(res.stderr.trim().split('\n').sort()).toEqual([
      'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted',
      'Error from server (Forbidden): namespaces "kube-public" is forbidden: this namespace may not be deleted',
      'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted',
    ]);
    expect((await kubectl(['get', 'configmap', 'keep', '-n', 'default', '-o', 'jsonpath={.data.a}'])).stdout).toBe('1');
    const names = await eventually(
      async () => {
        const out = (await kubectl(['get', 'ns', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ').sort();
        return out.includes('kube-node-lease') && out;
      },
      30_000,
      'kube-node-lease recreated',
    );
    expect(names).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    // The same holds for a raw DELETE, which kubectl's wording hides.
    const raw = await apiRequest(cluster.stack, 'DELETE', '/api/v1/namespaces/kube-system');
    expect(raw.status).toBe(403);
    expect(raw.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      details: { name: 'kube-system', kind: 'namespaces' },
    });
  });

  it('brings back the system RuntimeClasses and virtual node when they are deleted', async () => {
    const names = (kind: string) =>
      kubectl(['get', kind, '-o', 'jsonpath={.items[*].metadata.name}']).then((r) =>
        r.stdout.split(' ').sort().join(' '),
      );
    await eventually(async () => (await names('runtimeclass')) === 'gvisor runc', 30_000, 'runtime classes');
    expect((await kubectl(['delete', 'runtimeclass', '--all'])).code).toBe(0);
    expect(
      await eventually(
        async () => (await names('runtimeclass')) === 'gvisor runc' && 'back',
        30_000,
        'runtime classes recreated',
      ),
    ).toBe('back');
    expect((await kubectl(['delete', 'node', '--all'])).code).toBe(0);
    expect(
      await eventually(
        async () => (await names('node')) === 'virtual-kubelet-zone-a' && 'back',
        30_000,
        'virtual node recreated',
      ),
    ).toBe('back');
  });

  it('serves HorizontalPodAutoscalers in autoscaling/v1 and v2 over one object (kubectl autoscale)', async () => {
    expect((await kubectl(['create', 'deployment', 'web', '--image=busybox'])).code).toBe(0);
    const res = await kubectl(['autoscale', 'deploy/web', '--min=1', '--max=3', '--cpu-percent=50']);
    expect(res.stdout.trim()).toBe('horizontalpodautoscaler.autoscaling/web autoscaled');
    // Full names: kubectl expands the short name `hpa` to the preferred version whatever version is asked.
    expect(
      (
        await kubectl([
          'get',
          'horizontalpodautoscalers.v1.autoscaling',
          'web',
          '-o',
          'jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}',
        ])
      ).stdout,
    ).toBe('autoscaling/v1 50');
    expect(
      (
        await kubectl([
          'get',
          'horizontalpodautoscalers.v2.autoscaling',
          'web',
          '-o',
          'jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}',
        ])
      ).stdout,
    ).toBe('autoscaling/v2 50');
    // REPLICAS is the controller's status.currentReplicas: the Deployment's one replica once the HPA is looked at.
    const table = await eventually(
      async () => {
        const rows = (await kubectl(['get', 'hpa', 'web'])).stdout.trim().split('\n');
        return /\s1\s+\S+$/.test(rows[1] ?? '') ? rows : undefined;
      },
      30_000,
      'the HPA controller to report the current replicas',
    );
    expect(table[0].split(/\s{2,}/)).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(table[1]).toMatch(/^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+3\s+1\s+\S+$/);
    // A v2-only metric survives a v1 round trip (upstream's annotation), and v1 edits keep it.
    await kubectl([
      'patch',
      'horizontalpodautoscalers.v2.autoscaling',
      'web',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/spec/metrics/-","value":{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}}]',
    ]);
    await kubectl([
      'patch',
      'horizontalpodautoscalers.v1.autoscaling',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"maxReplicas":4}}',
    ]);
    expect(
      (
        await kubectl([
          'get',
          'horizontalpodautoscalers.v2.autoscaling',
          'web',
          '-o',
          'jsonpath={.spec.maxReplicas} {.spec.metrics[1].resource.name}',
        ])
      ).stdout,
    ).toBe('4 memory');
  });

  it('names the admin user (kubectl auth whoami)', async () => {
    const res = await kubectl(['auth', 'whoami']);
    expect(
      res.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)),
    ).toEqual([
      ['ATTRIBUTE', 'VALUE'],
      ['Username', 'skiff-admin'],
      ['Groups', '[system:masters system:authenticated]'],
    ]);
  });

  it('lists storageVersionHash as upstream computes it', async () => {
    const core = JSON.parse((await kubectl(['get', '--raw', '/api/v1'])).stdout) as {
      resources: Array<{ name: string; storageVersionHash?: string }>;
    };
    expect(core.resources.find((r) => r.name === 'pods')?.storageVersionHash).toBe('xPOwRZ+Yhw8=');
    expect(core.resources.find((r) => r.name === 'pods/status')?.storageVersionHash).toBeUndefined();
    const hash = async (gv: string) =>
      (
        JSON.parse((await kubectl(['get', '--raw', `/apis/${gv}`])).stdout) as {
          resources: Array<{ name: string; storageVersionHash?: string }>;
        }
      ).resources.find((r) => r.name === 'horizontalpodautoscalers')?.storageVersionHash;
    // Both versions are stored as autoscaling/v2.
    expect(await hash('autoscaling/v1')).toBe(await hash('autoscaling/v2'));
  });

  it('decodes request bodies as kube-apiserver does and says what is wrong in its words', async () => {
    const pod = file('pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n');
    const yamlAsJson = await kubectl(['create', '--raw', '/api/v1/namespaces', '-f', pod]);
    expect(yamlAsJson.stderr.trim()).toBe(
      `Error from server (BadRequest): the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (${Buffer.from('apiVersion: v1\nkind: Pod\nmetadata:\n').toString('hex').slice(0, 60)} ...)`,
    );
    const wrongKind = await kubectl(
      ['create', '--raw', '/api/v1/namespaces', '-f', '-'],
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1"}}',
    );
    expect(wrongKind.stderr.trim()).toBe(
      'Error from server (BadRequest): Pod in version "v1" cannot be handled as a Namespace: converting (v1.Pod) to (core.Namespace): unknown conversion',
    );
    const yaml = await apiRequest(
      cluster.stack,
      'POST',
      '/api/v1/namespaces',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n',
      'application/yaml',
    );
    expect(yaml.status).toBe(201);
    const broken = await apiRequest(
      cluster.stack,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      '{"metadata": {"name": }',
      'application/json',
    );
    expect(broken.body).toMatchObject({
      code: 400,
      message: `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '}' looking for beginning of value ({"metadata": {"name": })`,
    });
  });

  it('drops unknown fields it only warns about, and stores quantities in canonical form', async () => {
    await kubectl(['create', 'deployment', 'loose', '--image=busybox']);
    const patched = await kubectl([
      'patch',
      'deploy',
      'loose',
      '--type=merge',
      '-p',
      '{"spec":{"bogus":1,"template":{"spec":{"containers":[{"name":"busybox","image":"busybox","resources":{"limits":{"cpu":1,"memory":"1.5Gi"},"requests":{"cpu":"0.5"}}}]}}}}',
    ]);
    expect(patched.stderr.trim()).toBe('Warning: unknown field "spec.bogus"');
    const spec = JSON.parse((await kubectl(['get', 'deploy', 'loose', '-o', 'jsonpath={.spec}'])).stdout) as {
      bogus?: unknown;
      template: { spec: { containers: Array<{ resources: unknown }> } };
    };
    expect(spec.bogus).toBeUndefined();
    // Requests missing a resource default to its limit, as upstream defaults them.
    expect(spec.template.spec.containers[0].resources).toEqual({
      limits: { cpu: '1', memory: '1536Mi' },
      requests: { cpu: '500m', memory: '1536Mi' },
    });
    const created = await kubectl(
      ['create', '--validate=false', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loose}\nbogus: 1\ndata: {a: "1"}\n',
    );
    expect(created.code).toBe(0);
    expect((await kubectl(['get', 'configmap', 'loose', '-o', 'jsonpath={.bogus}{.data.a}'])).stdout).toBe('1');
    // Pods sort by a quantity column once quantities are strings (kubectl get --sort-by).
    for (const [name, cpu] of [
      ['sp-a', '1'],
      ['sp-b', '200m'],
    ]) {
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec: {containers: [{name: c, image: busybox, resources: {limits: {cpu: ${cpu}}}}]}\n`,
      );
    }
    const sorted = await kubectl([
      'get',
      'pods',
      'sp-a',
      'sp-b',
      '--sort-by={.spec.containers[0].resources.limits.cpu}',
      '-o',
      'name',
    ]);
    expect([sorted.code, sorted.stdout.trim().split('\n')]).toEqual([0, ['pod/sp-b', 'pod/sp-a']]);
  });

  it('treats resourceVersion "0" in a replace as unconditional, except for custom resources', async () => {
    await kubectl(['create', '-f', '-'], '{"kind":"Node","apiVersion":"v1","metadata":{"name":"node-v1-test"}}');
    const res = await kubectl(
      ['replace', '-f', '-'],
      '{"kind":"Node","apiVersion":"v1","metadata":{"name":"node-v1-test","annotations":{"a":"b"},"resourceVersion":"0"}}',
    );
    expect(res.stdout.trim()).toBe('node/node-v1-test replaced');
    expect((await kubectl(['get', 'node', 'node-v1-test', '-o', 'jsonpath={.metadata.annotations.a}'])).stdout).toBe(
      'b',
    );
    await kubectl(['delete', 'node', 'node-v1-test']);
  });

  it('switches a Deployment from RollingUpdate to Recreate with kubectl apply ($retainKeys)', async () => {
    const manifest = (strategy: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: strat}
spec:
  strategy: {type: ${strategy}}
  selector: {matchLabels: {app: strat}}
  template:
    metadata: {labels: {app: strat}}
    spec: {containers: [{name: c, image: busybox}]}
`;
    expect((await kubectl(['apply', '-f', '-'], manifest('RollingUpdate'))).stdout.trim()).toBe(
      'deployment.apps/strat created',
    );
    const res = await kubectl(['apply', '-f', '-'], manifest('Recreate'));
    expect([res.stdout.trim(), res.stderr]).toEqual(['deployment.apps/strat configured', '']);
    expect((await kubectl(['get', 'deploy', 'strat', '-o', 'jsonpath={.spec.strategy}'])).stdout).toBe(
      '{"type":"Recreate"}',
    );
  });

  it('shows a server-side diff of an object applied client-side, as upstream does', async () => {
    const cm = (a: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "${a}", b: "2"}\n`;
    await kubectl(['apply', '-f', '-'], cm('1'));
    const diff = await kubectl(['diff', '--server-side', '-f', file('ssa.yaml', cm('9'))]);
    expect(diff.code).toBe(1);
    expect(diff.stderr).toBe('');
    expect(diff.stdout).toContain('-  a: "1"\n+  a: "9"');
  });

  it('accepts a StatefulSet whose containers mount its volumeClaimTemplates', async () => {
    const res = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mysql}
spec:
  serviceName: mysql
  selector: {matchLabels: {app: mysql}}
  template:
    metadata: {labels: {app: mysql}}
    spec:
      containers: [{name: mysql, image: busybox, volumeMounts: [{name: data, mountPath: /var/lib/mysql}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`,
    );
    expect([res.stdout.trim(), res.stderr]).toEqual(['statefulset.apps/mysql created', '']);
  });

  it('warns InvalidSchedule for a CronJob that can never fire', async () => {
    await kubectl(['create', 'cronjob', 'feb31', '--image=busybox', '--schedule=59 23 31 2 *']);
    const message = await eventually(
      async () => {
        const out = await kubectl([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=feb31,reason=InvalidSchedule',
          '-o',
          'jsonpath={.items[0].type} {.items[0].message}',
        ]);
        return out.stdout.trim() || undefined;
      },
      30_000,
      'InvalidSchedule event',
    );
    expect(message).toBe(
      'Warning invalid schedule: 59 23 31 2 * : time difference between two schedules is less than 1 second',
    );
  });

  it('sends the Warning header of a deprecated custom resource version', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - {name: v1beta1, served: true, storage: false, deprecated: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v1alpha1, served: true, storage: false, deprecated: true, deprecationWarning: "v1alpha1 goes away in 2027", schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`,
    );
    await kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com']);
    const beta = await eventually(
      async () => {
        const out = await kubectl(['get', 'widgets.v1beta1.example.com']);
        return out.code === 0 && out;
      },
      30_000,
      'v1beta1 served',
    );
    const noWidgets = 'No resources found in default namespace.';
    expect(beta.stderr.trim().split('\n')).toEqual([
      'Warning: example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget',
      noWidgets,
    ]);
    expect((await kubectl(['get', 'widgets.v1alpha1.example.com'])).stderr.trim().split('\n')).toEqual([
      'Warning: v1alpha1 goes away in 2027',
      noWidgets,
    ]);
    expect((await kubectl(['get', 'widgets.v1.example.com'])).stderr.trim()).toBe(noWidgets);
  });

  it('shows which pod field an update may not change', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Pod\nmetadata: {name: fixed}\nspec: {containers: [{name: c, image: busybox}]}\n',
    );
    const res = await kubectl([
      'patch',
      'pod',
      'fixed',
      '-p',
      '{"spec":{"containers":[{"name":"c","command":["sleep","1"]}]}}',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`',
    );
    expect(res.stderr).toContain('  core.PodSpec{');
    expect(res.stderr).toMatch(/\+ \t+Command: \[\]string\{"sleep", "1"\},/);
  });
});
