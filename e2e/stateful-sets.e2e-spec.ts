import { apiRequest, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';

const MANIFEST = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: app
          image: busybox
          command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
          readinessProbe: {exec: {command: ['true']}, periodSeconds: 1}
`;

interface PodEvent {
  type: string;
  object: { metadata?: { name?: string }; status?: { conditions?: { type: string; status: string }[] } };
}

const isReady = (e: PodEvent) =>
  e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('StatefulSets on real sandboxes', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts web-0, web-1, web-2 in order, each once the previous is Ready, and kubectl rollout status succeeds', async () => {
    // From the list's resourceVersion: no event between here and the watch's registration is missed.
    const list = await apiRequest(cluster.stack, 'GET', '/api/v1/namespaces/default/pods');
    const rv = (list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const watch = openWatch(
      cluster.stack,
      `/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dweb&resourceVersion=${rv}`,
    );
    try {
      expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: MANIFEST })).stdout).toBe(
        'service/web created\nstatefulset.apps/web created\n',
      );
      const status = await k('rollout', 'status', 'sts/web', '--timeout=120s');
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('partitioned roll out complete: 3 new pods have been updated...');
      const events = watch.events as PodEvent[];
      const added = (name: string) => events.findIndex((e) => e.type === 'ADDED' && e.object.metadata?.name === name);
      const firstReady = (name: string) => events.findIndex((e) => e.object.metadata?.name === name && isReady(e));
      expect(events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name)).toEqual([
        'web-0',
        'web-1',
        'web-2',
      ]);
      // Each pod appears only after its predecessor was seen Ready.
      expect(firstReady('web-0')).toBeGreaterThanOrEqual(0);
      expect(firstReady('web-0')).toBeLessThan(added('web-1'));
      expect(firstReady('web-1')).toBeLessThan(added('web-2'));
    } finally {
      watch.close();
    }
    const created = await k(
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=StatefulSet,involvedObject.name=web,reason=SuccessfulCreate',
      '--sort-by',
      '.metadata.name',
      '-o',
      'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
    );
    expect(created.stdout.trim().split('\n')).toEqual(
      ['web-0', 'web-1', 'web-2'].map((p) => `create Pod ${p} in StatefulSet web successful`),
    );
    const sts = (await k('get', 'sts', 'web')).stdout;
    expect(sts).toMatch(/^web\s+3\/3\s+/m);
  });

  it('gives each pod its stable network identity under the headless Service', async () => {
    const identity = await k(
      'get',
      'pod',
      'web-0',
      '-o',
      'jsonpath={.spec.hostname}.{.spec.subdomain} {.metadata.labels.statefulset\\.kubernetes\\.io/pod-name}',
    );
    expect(identity.stdout).toBe('web-0.web web-0');
    expect((await k('exec', 'web-0', '--', 'hostname')).stdout).toBe('web-0\n');
    expect((await k('exec', 'web-2', '--', 'hostname')).stdout).toBe('web-2\n');
    // As kubelet writes it: the pod's FQDN under the governing Service, then its hostname.
    const hosts = (await k('exec', 'web-0', '--', 'cat', '/etc/hosts')).stdout;
    expect(hosts).toMatch(/^10\.244\.\d+\.\d+\tweb-0\.web\.default\.svc\.cluster\.local\tweb-0$/m);
  });

  it('replaces a deleted pod under the same name and deletes its pods with the set', async () => {
    const uid = (await k('get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.uid}')).stdout;
    await k('delete', 'pod', 'web-1', '--timeout=60s');
    await eventually(
      async () => {
        const out = await k(
          'get',
          'pod',
          'web-1',
          '-o',
          'jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}',
        );
        const [newUid, ready] = out.stdout.split(' ');
        return out.code === 0 && newUid !== uid && ready === 'True' ? true : undefined;
      },
      60_000,
      'a new Ready web-1',
    );
    expect((await k('exec', 'web-1', '--', 'hostname')).stdout).toBe('web-1\n');
    await k('delete', 'sts', 'web');
    await eventually(
      async () => ((await k('get', 'pods', '-l', 'app=web', '-o', 'name')).stdout.trim() === '' ? true : undefined),
      60_000,
      'the pods of the deleted set gone',
    );
    await k('delete', 'svc', 'web');
  });
});
