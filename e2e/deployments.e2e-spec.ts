import { apiRequest, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';

// Ready only after the container made /tmp/ready, a second or two after start: the rollout has to wait for it.
const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {kubernetes.io/change-cause: "v1"}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: ${image}
          command: [sh, -c, "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; sleep 3600 & wait"]
          readinessProbe: {exec: {command: [cat, /tmp/ready]}, periodSeconds: 1}
`;

interface PodEvent {
  metadata: { uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

describe('Deployments on real sandboxes (kubectl)', () => {
  let cluster: TestCluster;
  const ns = 'rollout';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const image = async () =>
    (await k('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).stdout;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['create', 'namespace', ns]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('applies a Deployment and `rollout status` succeeds once its pods are ready', async () => {
    expect(
      (await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: deployment('busybox:1.36') })).stdout.trim(),
    ).toBe('deployment.apps/web created');
    const status = await k('rollout', 'status', 'deployment/web', '--timeout=120s');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    const pods = await k(
      'get',
      'pods',
      '-l',
      'app=web',
      '-o',
      'jsonpath={range .items[*]}{.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    );
    expect(pods.stdout.trim().split('\n')).toEqual(['Running True', 'Running True', 'Running True']);
  });

  it('rolls to a new image never going under replicas - maxUnavailable ready pods, and `rollout undo` restores', async () => {
    const isReady = (pod: PodEvent): boolean =>
      !pod.metadata.deletionTimestamp &&
      pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    const list = (await apiRequest(cluster.stack, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`))
      .body as { metadata: { resourceVersion: string }; items: PodEvent[] };
    // Ready pods by uid: the list, then every change the watch brings (a terminating pod no longer counts).
    const ready = new Set(list.items.filter(isReady).map((p) => p.metadata.uid));
    expect(ready.size).toBe(3);
    const watch = openWatch(
      cluster.stack,
      `/api/v1/namespaces/${ns}/pods?watch=true&labelSelector=app%3Dweb&resourceVersion=${list.metadata.resourceVersion}`,
    );
    let lowest = ready.size;
    let seen = 0;
    const sample = (): void => {
      for (; seen < watch.events.length; seen++) {
        const { type, object } = watch.events[seen];
        const pod = object as unknown as PodEvent;
        if (type !== 'DELETED' && isReady(pod)) ready.add(pod.metadata.uid);
        else ready.delete(pod.metadata.uid);
        lowest = Math.min(lowest, ready.size);
      }
    };
    try {
      const timer = setInterval(sample, 20);
      try {
        // As upstream, the change-cause goes to the newest ReplicaSet: annotate after the change.
        expect((await k('set', 'image', 'deployment/web', 'web=busybox:latest')).code).toBe(0);
        expect((await k('annotate', 'deploy', 'web', 'kubernetes.io/change-cause=v2', '--overwrite')).code).toBe(0);
        expect((await k('rollout', 'status', 'deployment/web', '--timeout=180s')).code).toBe(0);
      } finally {
        clearInterval(timer);
        sample();
      }
    } finally {
      watch.close();
    }
    expect(seen).toBeGreaterThan(6);
    expect(lowest).toBeGreaterThanOrEqual(2);
    expect(await image()).toBe('busybox:latest');
    const history = (await k('rollout', 'history', 'deployment/web')).stdout;
    expect(history).toMatch(/^1\s+v1$/m);
    expect(history).toMatch(/^2\s+v2$/m);

    expect((await k('rollout', 'undo', 'deployment/web')).stdout.trim()).toBe('deployment.apps/web rolled back');
    expect((await k('rollout', 'status', 'deployment/web', '--timeout=180s')).code).toBe(0);
    expect(await image()).toBe('busybox:1.36');
    const images = await eventually(
      async () => {
        const out = (
          await k(
            'get',
            'pods',
            '-l',
            'app=web',
            '-o',
            'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}',
          )
        ).stdout
          .trim()
          .split('\n');
        return out.length === 3 ? out : undefined;
      },
      60_000,
      'three pods after the undo',
    );
    expect(images).toEqual(['busybox:1.36', 'busybox:1.36', 'busybox:1.36']);
    const describe = (await k('describe', 'deployment', 'web')).stdout;
    expect(describe).toMatch(/Normal\s+ScalingReplicaSet\s+.*Scaled up replica set web-\w+ from \d to \d/);
  });

  it('`kubectl delete deployment` removes its ReplicaSets and pods', async () => {
    expect((await k('delete', 'deployment', 'web')).code).toBe(0);
    await eventually(
      async () => {
        const left = (await k('get', 'rs,pods', '-o', 'name')).stdout.trim();
        return left === '' ? true : undefined;
      },
      90_000,
      'ReplicaSets and pods gone',
    );
  });
});
