import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import type { Deployment, HorizontalPodAutoscaler } from '@skiff/kube-types';
import { CronHorizontalPodAutoscaler } from './cron-horizontal-pod-autoscaler';

// The scheduler installs the CronHPA CRD at start; kubectl applies CronHPAs as an ASK user would. No sandbox agent:
// only the Deployments' replicas matter here.
describe('CronHPA controller (integration)', () => {
  let cluster: TestCluster;
  let ns: string;
  let seq = 0;

  const apply = async (yaml: string) => {
    const out = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
  };
  const deployment = (name: string, replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {nodeName: no-kubelet, containers: [{name: main, image: nginx}]}
`;
  const get = async <T>(path: string) => (await apiRequest(cluster.stack, 'GET', path)).body as T;
  const cronHpa = (name: string) =>
    get<CronHorizontalPodAutoscaler>(
      `/apis/autoscaling.alibabacloud.com/v1beta1/namespaces/${ns}/cronhorizontalpodautoscalers/${name}`,
    );
  const replicasOf = async (name: string) =>
    (await get<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).spec?.replicas;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    // The CRD is the scheduler's to install, and is served once established.
    await eventually(
      async () => ((await cluster.kubectl(['get', 'cronhpa', '-A'])).code === 0 ? true : undefined),
      30_000,
      'the CronHPA CRD served',
    );
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  beforeEach(async () => {
    ns = `cronhpa-${++seq}`;
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  });

  afterEach(async () => {
    await cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('scales a Deployment at the scheduled second and records the run', async () => {
    await apply(deployment('web', 1));
    await apply(`
apiVersion: autoscaling.alibabacloud.com/v1beta1
kind: CronHorizontalPodAutoscaler
metadata: {name: web-cron}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  jobs:
  - {name: scale-up, schedule: "*/10 * * * * *", targetSize: 3, runOnce: true}
`);
    const submitted = await eventually(
      async () => (await cronHpa('web-cron')).status?.conditions?.[0],
      10_000,
      'the job submitted',
    );
    expect(submitted).toEqual(
      expect.objectContaining({ name: 'scale-up', schedule: '*/10 * * * * *', targetSize: 3, runOnce: true }),
    );
    // Read the replicas every 20 ms to see when they change.
    const deadline = Date.now() + 25_000;
    while ((await replicasOf('web')) !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const changedAt = Date.now();
    expect(await replicasOf('web')).toBe(3);
    const condition = await eventually(
      async () => (await cronHpa('web-cron')).status?.conditions?.find((c) => c.state !== 'Submitted'),
      10_000,
      'the run recorded',
    );
    expect(condition).toEqual(
      expect.objectContaining({
        jobId: submitted.jobId,
        state: 'Succeed',
        message: 'cron hpa job scale-up executed successfully. current replicas:1, desired replicas:3.',
      }),
    );
    // lastProbeTime is the run's second, a multiple of ten; the replicas changed within that second.
    const scheduled = Date.parse(condition.lastProbeTime);
    expect(scheduled % 10_000).toBe(0);
    expect(changedAt - scheduled).toBeGreaterThanOrEqual(0);
    expect(changedAt - scheduled).toBeLessThan(1_000);

    const table = await cluster.kubectl(['get', 'cronhpa', '-n', ns]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'KIND', 'TARGET', 'AGE']);
    expect(table.stdout.split('\n')[1]).toMatch(/^web-cron\s+Deployment\s+web\s+\d+s$/);
    const events = await cluster.kubectl([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=web-cron',
    ]);
    expect(events.stdout).toContain('cron hpa job scale-up executed successfully');
  }, 60_000);

  it('moves the bounds of an HPA it targets', async () => {
    await apply(deployment('api', 1));
    await apply(`
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 2
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
---
apiVersion: autoscaling.alibabacloud.com/v1beta1
kind: CronHorizontalPodAutoscaler
metadata: {name: api-cron}
spec:
  scaleTargetRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: api}
  jobs:
  - {name: peak, schedule: "*/5 * * * * *", targetSize: 4, runOnce: true}
`);
    const hpa = await eventually(
      async () => {
        const h = await get<HorizontalPodAutoscaler>(
          `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/api`,
        );
        return h.spec?.minReplicas === 4 ? h : undefined;
      },
      20_000,
      'minReplicas 4',
    );
    expect(hpa.spec?.maxReplicas).toBe(4);
    // The run's state is written after the HPA is.
    const state = await eventually(
      async () => {
        const s = (await cronHpa('api-cron')).status?.conditions?.[0]?.state;
        return s === 'Submitted' ? undefined : s;
      },
      10_000,
      'the run recorded',
    );
    expect(state).toBe('Succeed');
  }, 60_000);

  it('fails a job whose schedule does not parse, with the reason in its condition', async () => {
    await apply(`
apiVersion: autoscaling.alibabacloud.com/v1beta1
kind: CronHorizontalPodAutoscaler
metadata: {name: bad}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  jobs:
  - {name: typo, schedule: "0 8 * * MOON", targetSize: 2}
`);
    const condition = await eventually(
      async () => (await cronHpa('bad')).status?.conditions?.[0],
      10_000,
      'the job condition',
    );
    expect(condition.state).toBe('Failed');
    expect(condition.message).toContain('expected exactly 6 fields, found 5');
  }, 30_000);
});
