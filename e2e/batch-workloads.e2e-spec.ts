import { eventually, startTestCluster, TestCluster } from '@skiff/testing';

const INDEXED_JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: fan-out}
spec:
  completionMode: Indexed
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - {name: work, image: busybox, command: [sh, -c, 'echo "index=$JOB_COMPLETION_INDEX host=$(hostname)"; sleep 2']}
`;

const CRON_JOB = `apiVersion: batch/v1
kind: CronJob
metadata: {name: ticker}
spec:
  schedule: '*/1 * * * *'
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - {name: tick, image: busybox, command: [sh, -c, 'echo tick']}
`;

interface PodList {
  items: {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { hostname?: string };
    status: {
      phase: string;
      containerStatuses?: { state: { terminated?: { startedAt: string; finishedAt: string; exitCode: number } } }[];
    };
  }[];
}

/** The most pods whose containers ran at the same time ([start, finish) intervals). */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d); // an end before a start at the same instant
  let now = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (now += e.d));
  return max;
}

describe('Jobs and CronJobs run in sandboxes', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('completes an Indexed Job of 5 with parallelism 2: every index once, each pod saw its JOB_COMPLETION_INDEX', async () => {
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: INDEXED_JOB })).stdout.trim()).toBe(
      'job.batch/fan-out created',
    );
    const waited = await cluster.kubectl(['wait', '--for=condition=complete', 'job/fan-out', '--timeout=150s'], {
      timeoutMs: 160_000,
    });
    expect(waited.stdout.trim()).toBe('job.batch/fan-out condition met');

    const pods = JSON.parse(
      (await k('get', 'pods', '-l', 'batch.kubernetes.io/job-name=fan-out', '-o', 'json')).stdout,
    ) as PodList;
    expect(pods.items.map((p) => p.status.phase)).toEqual(Array(5).fill('Succeeded'));
    const seen = await Promise.all(
      pods.items.map(async (p) => {
        const index = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
        expect(p.metadata.name.startsWith(`fan-out-${index}-`)).toBe(true);
        expect(p.spec.hostname).toBe(`fan-out-${index}`);
        return { index, log: (await k('logs', p.metadata.name)).stdout };
      }),
    );
    expect(seen.map((s) => s.index).sort()).toEqual(['0', '1', '2', '3', '4']);
    // The sandbox honours spec.hostname, as kubelet does.
    for (const { index, log } of seen) expect(log).toBe(`index=${index} host=fan-out-${index}\n`);

    // The containers' own start and finish times: never more than `parallelism` ran at once.
    const intervals = pods.items.map((p) => {
      const t = p.status.containerStatuses![0].state.terminated!;
      return { start: Date.parse(t.startedAt), end: Date.parse(t.finishedAt) };
    });
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
    expect(
      (await k('get', 'job', 'fan-out', '-o', 'jsonpath={.status.succeeded} {.status.completedIndexes}')).stdout,
    ).toBe('5 0-4');
  }, 180_000);

  it('creates Jobs from a CronJob (kubectl create job --from and on schedule) and keeps successfulJobsHistoryLimit', async () => {
    // The first scheduled run prunes the by-hand Job (limit 1): apply early in a minute, so its logs are read before.
    const second = new Date().getSeconds();
    if (second > 10) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: CRON_JOB })).stdout.trim()).toBe(
      'cronjob.batch/ticker created',
    );
    expect((await k('create', 'job', 'by-hand', '--from=cronjob/ticker')).stdout.trim()).toBe(
      'job.batch/by-hand created',
    );
    expect((await k('wait', '--for=condition=complete', 'job/by-hand', '--timeout=60s')).stdout.trim()).toBe(
      'job.batch/by-hand condition met',
    );
    expect((await k('logs', 'job/by-hand')).stdout).toBe('tick\n');

    // The next minute starts a scheduled Job; once it completed, the older by-hand one goes (limit 1).
    const scheduled = await eventually(
      async () => {
        const names = (await k('get', 'jobs', '-o', 'jsonpath={.items[*].metadata.name}')).stdout
          .split(' ')
          .filter(Boolean);
        return names.find((n) => /^ticker-\d+$/.test(n));
      },
      75_000,
      'a scheduled Job',
    );
    expect((await k('wait', '--for=condition=complete', `job/${scheduled}`, '--timeout=60s')).stdout.trim()).toBe(
      `job.batch/${scheduled} condition met`,
    );
    await eventually(
      async () => {
        const names = (await k('get', 'jobs', '-o', 'jsonpath={.items[*].metadata.name}')).stdout
          .split(' ')
          .filter(Boolean);
        return names.includes('by-hand') ? undefined : names;
      },
      30_000,
      'the older finished Job deleted',
    );
    // A later minute may have started another run meanwhile; finished ones beyond the newest never stay.
    const finished = (
      await k('get', 'jobs', '-o', 'jsonpath={range .items[?(@.status.completionTime)]}{.metadata.name} {end}')
    ).stdout
      .trim()
      .split(' ');
    expect(finished.filter((n) => n.startsWith('ticker-'))).toHaveLength(1);
    const status = (
      await k('get', 'cronjob', 'ticker', '-o', 'jsonpath={.status.lastScheduleTime} {.status.lastSuccessfulTime}')
    ).stdout.split(' ');
    expect(Date.parse(status[0])).toBeGreaterThanOrEqual(Number(scheduled.slice('ticker-'.length)) * 60_000);
    expect(status[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const events = (
      await k('get', 'events', '--field-selector', 'involvedObject.name=ticker', '-o', 'jsonpath={.items[*].reason}')
    ).stdout;
    for (const reason of ['SuccessfulCreate', 'SawCompletedJob', 'SuccessfulDelete']) expect(events).toContain(reason);
  }, 240_000);
});
