import { KubeObject } from '@skiff/api-machinery';
import { CRON_JOBS, JOBS } from '@skiff/controller-runtime';
import { FakeBatchApi, FakeClock } from '../jobs/fake-batch-api.fixture';
import { CronJobReconciler } from './cron-job.reconciler';
import type { CronJobStatus } from '@skiff/kube-types';

const NS = 'team';
const MIN = 60_000;

function cronJob(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name, namespace: NS },
    spec: {
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: name }, annotations: { team: 'a' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
      },
      ...spec,
    },
  };
}

describe(CronJobReconciler.name, () => {
  let clock: FakeClock;
  let api: FakeBatchApi;
  let controller: CronJobReconciler;

  const reconcile = async (name: string) => {
    api.sync();
    const result = await controller.reconcile(api.ctx, `${NS}/${name}`);
    api.sync();
    return result;
  };
  const jobNames = () =>
    api
      .list(JOBS)
      .map((j) => j.metadata.name!)
      .sort();
  const status = (name: string) => (api.get(CRON_JOBS, NS, name)!.status ?? {}) as CronJobStatus;
  const events = (reason: string) => api.events.filter((e) => e.reason === reason);
  const finishJob = (name: string, type: 'Complete' | 'Failed') =>
    api.edit(JOBS, NS, name, (j) => {
      const at = new Date(clock.nowMs()).toISOString().replace('.000Z', 'Z');
      j.status = {
        startTime: j.metadata.creationTimestamp,
        ...(type === 'Complete' ? { completionTime: at } : {}),
        conditions: [{ type, status: 'True', lastTransitionTime: at }],
      };
    });

  beforeEach(() => {
    clock = new FakeClock(Date.parse('2024-03-01T10:00:30Z'));
    api = new FakeBatchApi(clock);
    controller = new CronJobReconciler(clock);
    controller.begin(api.ctx);
  });

  it('waits for the first schedule time, then starts a Job named by the scheduled minute', async () => {
    api.create(CRON_JOBS, cronJob('tick', {}));
    const wait = await reconcile('tick');
    expect(jobNames()).toEqual([]);
    expect(wait?.requeueAfterMs).toBe(30_100); // 10:01:00 plus upstream's 100 ms

    clock.advance(30_000);
    const next = await reconcile('tick');
    const scheduled = Date.parse('2024-03-01T10:01:00Z');
    expect(jobNames()).toEqual([`tick-${scheduled / MIN}`]);
    const job = api.list(JOBS)[0];
    expect(job.metadata.labels).toEqual({ app: 'tick' });
    expect(job.metadata.annotations).toEqual({
      team: 'a',
      'batch.kubernetes.io/cronjob-scheduled-timestamp': '2024-03-01T10:01:00Z',
    });
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'tick', controller: true }),
    ]);
    expect(job.spec).toEqual({
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    });
    expect(status('tick')).toEqual({
      active: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          namespace: NS,
          name: job.metadata.name,
          uid: job.metadata.uid,
          resourceVersion: job.metadata.resourceVersion,
        },
      ],
      lastScheduleTime: '2024-03-01T10:01:00Z',
    });
    expect(next?.requeueAfterMs).toBe(60_100);
    expect(events('SuccessfulCreate').map((e) => e.message)).toEqual([`Created job ${job.metadata.name}`]);

    await reconcile('tick'); // the same minute again: nothing new
    expect(jobNames()).toHaveLength(1);
  });

  it('after downtime starts only the most recent missed time, and warns past 100 misses', async () => {
    api.create(CRON_JOBS, cronJob('late', { schedule: '@hourly' }));
    clock.advance(5 * 60 * MIN);
    await reconcile('late');
    expect(jobNames()).toEqual([`late-${Date.parse('2024-03-01T15:00:00Z') / MIN}`]);
    expect(events('TooManyMissedTimes')).toEqual([]);

    api.create(CRON_JOBS, cronJob('flood', {}));
    clock.advance(3 * 60 * MIN);
    await reconcile('flood');
    expect(jobNames().filter((n) => n.startsWith('flood-'))).toEqual([
      `flood-${Date.parse('2024-03-01T18:00:00Z') / MIN}`,
    ]);
    expect(events('TooManyMissedTimes')).toHaveLength(1);
  });

  it('skips a time missed by more than startingDeadlineSeconds (MissSchedule)', async () => {
    api.create(CRON_JOBS, cronJob('strict', { schedule: '0 * * * *', startingDeadlineSeconds: 60 }));
    clock.ms = Date.parse('2024-03-01T11:05:00Z');
    await reconcile('strict');
    expect(jobNames()).toEqual([]);
    expect(events('MissSchedule').map((e) => e.message)).toEqual([
      'Missed scheduled time to start a job: 2024-03-01T11:00:00Z',
    ]);
    clock.ms = Date.parse('2024-03-01T12:00:30Z');
    await reconcile('strict');
    expect(jobNames()).toEqual([`strict-${Date.parse('2024-03-01T12:00:00Z') / MIN}`]);
  });

  it('reports MissSchedule when the only due time is past the starting deadline', async () => {
    api.create(CRON_JOBS, cronJob('deadline', { schedule: '0 * * * *', startingDeadlineSeconds: 600 }));
    api.edit(CRON_JOBS, NS, 'deadline', (cj) => (cj.status = { lastScheduleTime: '2024-03-01T10:00:00Z' }));
    clock.ms = Date.parse('2024-03-01T11:05:00Z');
    await reconcile('deadline');
    expect(jobNames()).toEqual([`deadline-${Date.parse('2024-03-01T11:00:00Z') / MIN}`]); // 5 min late, within 10 min
    clock.ms = Date.parse('2024-03-01T12:15:00Z');
    await reconcile('deadline');
    expect(jobNames()).toHaveLength(1);
    expect(events('MissSchedule').map((e) => e.message)).toEqual([
      'Missed scheduled time to start a job: 2024-03-01T12:00:00Z',
    ]);
  });

  it('Forbid skips a run while one is active; Replace deletes the active one first', async () => {
    api.create(CRON_JOBS, cronJob('solo', { concurrencyPolicy: 'Forbid' }));
    clock.advance(30_000);
    await reconcile('solo');
    clock.advance(MIN);
    await reconcile('solo');
    expect(jobNames()).toHaveLength(1);
    expect(events('JobAlreadyActive')).toHaveLength(1);

    api.create(CRON_JOBS, cronJob('swap', { concurrencyPolicy: 'Replace' }));
    clock.advance(MIN);
    await reconcile('swap');
    const [first] = jobNames().filter((n) => n.startsWith('swap-'));
    clock.advance(MIN);
    await reconcile('swap');
    const swaps = jobNames().filter((n) => n.startsWith('swap-'));
    expect(swaps).toHaveLength(1);
    expect(swaps[0]).not.toBe(first);
    expect(api.deletes).toEqual([
      { resource: 'jobs', name: first, opts: expect.objectContaining({ propagationPolicy: 'Background' }) },
    ]);
    expect(status('swap').active?.map((r) => r.name)).toEqual(swaps);
  });

  it('sees completed Jobs (lastSuccessfulTime) and keeps only successfulJobsHistoryLimit of them', async () => {
    api.create(CRON_JOBS, cronJob('hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 }));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(MIN);
      await reconcile('hist');
      const name = status('hist').active![0].name!;
      names.push(name);
      clock.advance(5_000);
      finishJob(name, i === 1 ? 'Failed' : 'Complete');
      await reconcile('hist');
    }
    expect(jobNames()).toEqual([names[2]]); // the failed one (limit 0) and the older success are gone
    expect(status('hist')).toMatchObject({
      active: [],
      lastSuccessfulTime: new Date(clock.nowMs()).toISOString().replace('.000Z', 'Z'),
    });
    expect(events('SawCompletedJob').map((e) => e.message)).toEqual([
      `Saw completed job: ${names[0]}, condition: Complete`,
      `Saw completed job: ${names[1]}, condition: Failed`,
      `Saw completed job: ${names[2]}, condition: Complete`,
    ]);
    expect(events('SuccessfulDelete').map((e) => e.message)).toEqual([
      `Deleted job ${names[1]}`,
      `Deleted job ${names[0]}`,
    ]);
  });

  it('reads the schedule in spec.timeZone and stamps the Job with the zone offset', async () => {
    api.create(CRON_JOBS, cronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    const wait = await reconcile('tokyo');
    expect(clock.nowMs() + wait!.requeueAfterMs!).toBe(Date.parse('2024-03-02T00:00:00.100Z'));
    clock.ms = Date.parse('2024-03-02T00:00:10Z');
    await reconcile('tokyo');
    expect(api.list(JOBS)[0].metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2024-03-02T09:00:00+09:00',
    );
    expect(status('tokyo').lastScheduleTime).toBe('2024-03-02T00:00:00Z');
  });

  it('starts nothing while suspended', async () => {
    api.create(CRON_JOBS, cronJob('off', { suspend: true }));
    clock.advance(10 * MIN);
    expect(await reconcile('off')).toBeUndefined();
    expect(jobNames()).toEqual([]);
  });

  it('warns InvalidSchedule, once, for a schedule that can never fire', async () => {
    api.create(CRON_JOBS, cronJob('never', { schedule: '59 23 31 2 *' }));
    expect(await reconcile('never')).toBeUndefined();
    await reconcile('never');
    expect(events('InvalidSchedule').map((e) => [e.type, e.message])).toEqual([
      ['Warning', 'invalid schedule: 59 23 31 2 * : time difference between two schedules is less than 1 second'],
    ]);
    expect(jobNames()).toEqual([]);
  });
});
