import { eventually, startTestCluster, TestCluster } from '@skiff/testing';

// A CPU burner held to 300m by its limit, requesting 100m: one replica runs at ~300 % of its request.
// No replicas: the HPA owns them (an applied value would be set again on every apply).
const BURNER = (command: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: burner}
spec:
  selector:
    matchLabels: {app: burner}
  template:
    metadata:
      labels: {app: burner}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: burn
          image: busybox
          command: [sh, -c, '${command}']
          resources:
            requests: {cpu: 100m, memory: 16Mi}
            limits: {cpu: 300m, memory: 64Mi}
`;
const BURN = 'trap "exit 0" TERM; while :; do :; done';
const IDLE = 'trap "exit 0" TERM; sleep 3600 & wait';

const HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: burner}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burner}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 10
`;

const IDLE_DEPLOYMENT = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: busybox
          command: [sh, -c, '${IDLE}']
          resources:
            requests: {cpu: 10m, memory: 8Mi}
`;

/** A 6-field schedule (seconds first) that fires once a day, at the UTC second `at`. */
function dailyAt(at: Date): string {
  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

interface JobCondition {
  name: string;
  state: string;
  message: string;
  lastProbeTime: string;
}

describe('Metrics and autoscaling: kubectl top, HPA v2 on real CPU, CronHPA (kubectl, runc)', () => {
  let cluster: TestCluster;
  const ns = 'scaling';
  const k = (...args: string[]) => cluster.kubectl(['-n', ns, ...args]);
  const apply = async (yaml: string) => {
    const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
    expect(r.stderr).toBe('');
  };
  const jsonpath = async (what: string, path: string) => (await k('get', what, '-o', `jsonpath=${path}`)).stdout;
  const replicas = async (deployment: string) => Number(await jsonpath(`deployment/${deployment}`, '{.spec.replicas}'));

  beforeAll(async () => {
    cluster = await startTestCluster(
      // Quicker than the defaults (15 s each) so the test stays short; the algorithm is the same.
      { SKIFF_METRICS_RESOLUTION_SECONDS: '5', SKIFF_HPA_SYNC_SECONDS: '5' },
      ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent'],
    );
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('scales a CPU burner from 1 to 3 within 2 minutes, shows it in kubectl top, and back to 1 when the load stops', async () => {
    await apply(BURNER(BURN));
    await apply(HPA);
    const burning = Date.now();

    // kubectl top: the burner near its 300m limit, in the pod and container views and over all namespaces.
    const top = await eventually(
      async () => {
        const r = await k('top', 'pods', '-l', 'app=burner', '--no-headers');
        const m = /^(burner-\S+)\s+(\d+)m\s+(\d+)Mi/m.exec(r.stdout);
        return m && Number(m[2]) >= 200 ? { pod: m[1], milli: Number(m[2]) } : undefined;
      },
      60_000,
      'kubectl top to show the burner busy',
    );
    expect(top.milli).toBeLessThanOrEqual(330);
    const containers = await k('top', 'pods', top.pod, '--containers', '--no-headers');
    expect(containers.stdout).toMatch(new RegExp(`^${top.pod}\\s+burn\\s+\\d+m\\s+\\d+Mi`, 'm'));
    const all = await cluster.kubectl(['top', 'pods', '-A', '--sort-by=cpu', '--no-headers']);
    expect(all.stdout.split('\n')[0]).toMatch(new RegExp(`^${ns}\\s+burner-`));
    const nodes = await cluster.kubectl(['top', 'nodes', '--no-headers']);
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/\d+m\s+\d+%\s+\d+Mi\s+\d+%/);

    await eventually(async () => (await replicas('burner')) >= 3, 120_000 - (Date.now() - burning), 'scale-up to 3');
    const hpa = (await k('get', 'hpa', 'burner', '--no-headers')).stdout;
    expect(hpa).toMatch(/^burner\s+Deployment\/burner\s+cpu: \d+%\/50%\s+1\s+3\s+\d/);
    const events = (await k('get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler')).stdout;
    expect(events).toMatch(
      /SuccessfulRescale.*New size: 3; reason: cpu resource utilization \(percentage of request\) above target/,
    );
    const conditions = JSON.parse(await jsonpath('hpa/burner', '{.status.conditions}')) as {
      type: string;
      status: string;
    }[];
    expect(conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'True' });

    // The load stops: the pods are replaced by idle ones, and the HPA brings the Deployment back to its minimum.
    await apply(BURNER(IDLE));
    await eventually(async () => (await replicas('burner')) === 1, 180_000, 'scale-down to 1');
    expect((await k('describe', 'hpa', 'burner')).stdout).toMatch(/New size: 1; reason: All metrics below target/);
  }, 420_000);

  it('a CronHPA with a seconds schedule scales a Deployment at that second and records the job', async () => {
    await apply(IDLE_DEPLOYMENT('web'));
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 20_000);
    await apply(`apiVersion: autoscaling.alibabacloud.com/v1beta1
kind: CronHorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  jobs:
    - {name: peak, schedule: "${dailyAt(at)}", targetSize: 3}
`);
    const seen = await eventually(
      async () => ((await replicas('web')) === 3 ? Date.now() : undefined),
      40_000,
      'the CronHPA to scale web to 3',
    );
    expect(seen - at.getTime()).toBeGreaterThanOrEqual(0);
    expect(seen - at.getTime()).toBeLessThan(1_500);
    const [job] = JSON.parse(await jsonpath('cronhpa/web', '{.status.conditions}')) as JobCondition[];
    expect(job).toMatchObject({ name: 'peak', state: 'Succeed' });
    expect(job.message).toContain('executed successfully');
    expect(Date.parse(job.lastProbeTime)).toBeGreaterThanOrEqual(at.getTime() - 1_000);
    expect((await k('get', 'cronhpa')).stdout).toMatch(/^web\s/m);
  }, 120_000);

  it('a CronHPA aimed at an HPA moves its bounds, and the HPA scales the Deployment to them', async () => {
    await apply(IDLE_DEPLOYMENT('api'));
    await apply(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 2
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`);
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 10_000);
    await apply(`apiVersion: autoscaling.alibabacloud.com/v1beta1
kind: CronHorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: api}
  jobs:
    - {name: peak, schedule: "${dailyAt(at)}", targetSize: 4}
`);
    await eventually(
      async () => (await jsonpath('hpa/api', '{.spec.minReplicas}/{.spec.maxReplicas}')) === '4/4',
      40_000,
      'the HPA bounds to move to 4/4',
    );
    await eventually(async () => (await replicas('api')) === 4, 60_000, 'the HPA to scale api to 4');
    const [job] = JSON.parse(await jsonpath('cronhpa/api', '{.status.conditions}')) as JobCondition[];
    // The message is part of what is matched so that a failed run shows why.
    expect(job).toMatchObject({
      name: 'peak',
      state: 'Succeed',
      message: expect.stringMatching(/executed successfully/),
    });
  }, 120_000);
});
