import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { simulatedKubelet } from '../controllers/simulated-kubelet.fixture';
import type { Pod } from '@skiff/kube-types';

interface Job {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}

interface CronJob {
  metadata: { name: string; uid: string };
  status?: { active?: { name: string; uid: string }[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

// No sandbox agent: the spec plays the kubelet (pod status through the API). A controller that was
// down is simulated by moving status.lastScheduleTime back, so a due time is missed and started at once.
describe('CronJob controller (integration)', () => {
  let cluster: TestCluster;
  let ns: string;
  let seq = 0;

  const cronJobsPath = () => `/apis/batch/v1/namespaces/${ns}/cronjobs`;
  const jobsPath = () => `/apis/batch/v1/namespaces/${ns}/jobs`;
  const podsPath = () => `/api/v1/namespaces/${ns}/pods`;
  const getCronJob = async (name: string) =>
    (await apiRequest(cluster.stack, 'GET', `${cronJobsPath()}/${name}`)).body as CronJob;
  const listJobs = async () => ((await apiRequest(cluster.stack, 'GET', jobsPath())).body as { items: Job[] }).items;
  const createCronJob = async (name: string, spec: Record<string, unknown>) => {
    const res = await apiRequest(cluster.stack, 'POST', cronJobsPath(), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: {
        schedule: '*/1 * * * *',
        jobTemplate: {
          metadata: { labels: { app: name } },
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                nodeName: 'no-kubelet',
                containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
              },
            },
          },
        },
        ...spec,
      },
    });
    expect(res.status).toBe(201);
    return res.body as CronJob;
  };
  /** What a controller that was down for `minutes` left behind: an old lastScheduleTime. */
  const rewind = async (name: string, minutes: number) => {
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - minutes * 60_000)
      .toISOString()
      .replace('.000Z', 'Z');
    await eventually(
      async () => {
        const res = await apiRequest(
          cluster.stack,
          'PATCH',
          `${cronJobsPath()}/${name}/status`,
          { status: { lastScheduleTime: at } },
          'application/merge-patch+json',
        );
        return res.status === 200 ? true : undefined;
      },
      10_000,
      'status patched',
    );
  };
  /** Plays the kubelet: the Job's pod runs to success. */
  const completeJob = async (jobName: string) => {
    const pod = await eventually(
      async () => {
        const pods = (
          (
            await apiRequest(
              cluster.stack,
              'GET',
              `${podsPath()}?labelSelector=batch.kubernetes.io/job-name%3D${jobName}`,
            )
          ).body as { items: Pod[] }
        ).items;
        return pods.find((p) => !p.metadata.deletionTimestamp);
      },
      20_000,
      `a pod of ${jobName}`,
    );
    await simulatedKubelet(cluster, ns).finished(pod.metadata.name!, 'Succeeded');
    await eventually(
      async () => {
        const job = (await apiRequest(cluster.stack, 'GET', `${jobsPath()}/${jobName}`)).body as Job;
        return job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? true : undefined;
      },
      20_000,
      `${jobName} Complete`,
    );
  };
  const eventReasons = async (name: string) =>
    (
      (
        await apiRequest(
          cluster.stack,
          'GET',
          `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3D${name}`,
        )
      ).body as { items: { reason: string }[] }
    ).items.map((e) => e.reason);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  beforeEach(async () => {
    ns = `cron-${++seq}`;
    expect((await apiRequest(cluster.stack, 'POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
      201,
    );
  });

  afterEach(async () => {
    await apiRequest(cluster.stack, 'DELETE', `/api/v1/namespaces/${ns}`);
  });

  it('starts the most recent missed time, tracks it in status.active, and sees it complete', async () => {
    const cj = await createCronJob('tick', {});
    await rewind('tick', 3);
    const job = await eventually(async () => (await listJobs())[0], 20_000, 'a Job');
    const scheduledMinute = Number(job.metadata.name.slice('tick-'.length));
    // The most recent due minute (the current one, or the one before if the minute turned meanwhile).
    expect(Math.floor(Date.now() / 60_000) - scheduledMinute).toBeLessThanOrEqual(1);
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      new Date(scheduledMinute * 60_000).toISOString().replace('.000Z', 'Z'),
    );
    expect(job.metadata.labels).toMatchObject({ app: 'tick' });
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true }),
    ]);
    await eventually(
      async () => ((await getCronJob('tick')).status?.active?.[0]?.uid === job.metadata.uid ? true : undefined),
      20_000,
      'status.active',
    );

    await completeJob(job.metadata.name);
    const done = await eventually(
      async () => {
        const c = await getCronJob('tick');
        return (c.status?.active ?? []).length === 0 && c.status?.lastSuccessfulTime ? c : undefined;
      },
      20_000,
      'the completion seen',
    );
    expect(done.status?.lastScheduleTime).toBe(new Date(scheduledMinute * 60_000).toISOString().replace('.000Z', 'Z'));
    expect(await eventReasons('tick')).toEqual(expect.arrayContaining(['SuccessfulCreate', 'SawCompletedJob']));
  });

  it('kubectl create job --from=cronjob works, and successfulJobsHistoryLimit keeps only the newest finished Job', async () => {
    const cj = await createCronJob('hist', { successfulJobsHistoryLimit: 1, schedule: '0 0 1 1 *' });
    const created = await cluster.kubectl(['create', 'job', 'manual', '--from=cronjob/hist', '-n', ns]);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('job.batch/manual created');
    const manual = (await apiRequest(cluster.stack, 'GET', `${jobsPath()}/manual`)).body as Job;
    expect(manual.metadata.annotations).toMatchObject({ 'cronjob.kubernetes.io/instantiate': 'manual' });
    expect(manual.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'hist', uid: cj.metadata.uid }),
    ]);
    await completeJob('manual');

    // Now a scheduled run (its due time came while the controller was "down"): the older finished Job goes.
    await apiRequest(
      cluster.stack,
      'PATCH',
      `${cronJobsPath()}/hist`,
      { spec: { schedule: '*/1 * * * *' } },
      'application/merge-patch+json',
    );
    await rewind('hist', 2);
    const scheduled = await eventually(
      async () => (await listJobs()).find((j) => j.metadata.name.startsWith('hist-')),
      20_000,
      'a scheduled Job',
    );
    await completeJob(scheduled.metadata.name);
    await eventually(
      async () => {
        const names = (await listJobs()).map((j) => j.metadata.name);
        return names.length === 1 && names[0] === scheduled.metadata.name ? true : undefined;
      },
      20_000,
      'only the newest finished Job left',
    );
    expect(await eventReasons('hist')).toEqual(expect.arrayContaining(['SuccessfulDelete', 'UnexpectedJob']));
  });

  it('at the next due time, Forbid does not start a run while one is active and Replace swaps the active one', async () => {
    await createCronJob('solo', { concurrencyPolicy: 'Forbid' });
    await createCronJob('swap', { concurrencyPolicy: 'Replace' });
    await rewind('solo', 3);
    await rewind('swap', 3);
    const jobsOf = async (prefix: string) =>
      (await listJobs()).filter(
        (j) =>
          j.metadata.name.startsWith(`${prefix}-`) && !(j.metadata as { deletionTimestamp?: string }).deletionTimestamp,
      );
    const [solo] = await eventually(
      async () => ((await jobsOf('solo')).length === 1 ? jobsOf('solo') : undefined),
      20_000,
      'the Forbid Job',
    );
    const [swap] = await eventually(
      async () => ((await jobsOf('swap')).length === 1 ? jobsOf('swap') : undefined),
      20_000,
      'the Replace Job',
    );
    // Both still run (no kubelet finishes them); the next minute brings a new due time.
    const replaced = await eventually(
      async () => {
        const jobs = await jobsOf('swap');
        return jobs.length === 1 && jobs[0].metadata.name !== swap.metadata.name ? jobs[0] : undefined;
      },
      75_000,
      'the Replace Job swapped',
    );
    await eventually(
      async () => ((await eventReasons('solo')).includes('JobAlreadyActive') ? true : undefined),
      20_000,
      'JobAlreadyActive',
    );
    expect((await jobsOf('solo')).map((j) => j.metadata.name)).toEqual([solo.metadata.name]);
    await eventually(
      async () =>
        (await getCronJob('swap')).status?.active?.map((r) => r.name).join() === replaced.metadata.name
          ? true
          : undefined,
      20_000,
      'status.active of Replace',
    );
    expect(await eventReasons('swap')).toContain('SuccessfulDelete');
  }, 120_000);
});
