import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import type { Pod } from '@skiff/kube-types';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface Job {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: {
    selector?: { matchLabels?: Record<string, string> };
    template: { metadata: { labels: Record<string, string> } };
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    completedIndexes?: string;
    conditions?: Condition[];
  };
}

// No sandbox agent here: the spec plays the kubelet and writes pod status through the API, as upstream's integration tests do.
describe('Job controller (integration)', () => {
  let cluster: TestCluster;
  let ns: string;
  let seq = 0;

  const jobsPath = () => `/apis/batch/v1/namespaces/${ns}/jobs`;
  const podsPath = () => `/api/v1/namespaces/${ns}/pods`;
  const getJob = async (name: string) => (await apiRequest(cluster.stack, 'GET', `${jobsPath()}/${name}`)).body as Job;
  const listPods = async (jobName: string) =>
    (
      (await apiRequest(cluster.stack, 'GET', `${podsPath()}?labelSelector=batch.kubernetes.io/job-name%3D${jobName}`))
        .body as { items: Pod[] }
    ).items;
  const running = async (jobName: string) =>
    (await listPods(jobName)).filter(
      (p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
    );
  const createJob = async (name: string, spec: Record<string, unknown>) => {
    const res = await apiRequest(cluster.stack, 'POST', jobsPath(), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      // Bound to a node no kubelet serves, so the placement scheduler leaves the pods alone.
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            nodeName: 'no-kubelet',
            containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
          },
        },
        ...spec,
      },
    });
    expect(res.status).toBe(201);
    return res.body as Job;
  };
  const setPhase = async (
    pod: Pod,
    phase: 'Running' | 'Succeeded' | 'Failed',
    exitCode = phase === 'Succeeded' ? 0 : 1,
  ) => {
    const state =
      phase === 'Running'
        ? { running: { startedAt: new Date().toISOString() } }
        : {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              finishedAt: new Date().toISOString(),
            },
          };
    await eventually(
      async () => {
        const current = (await apiRequest(cluster.stack, 'GET', `${podsPath()}/${pod.metadata.name}`)).body as Record<
          string,
          unknown
        >;
        const res = await apiRequest(cluster.stack, 'PUT', `${podsPath()}/${pod.metadata.name}/status`, {
          ...current,
          status: {
            phase,
            containerStatuses: [
              { name: 'main', image: 'busybox', imageID: '', ready: phase === 'Running', restartCount: 0, state },
            ],
          },
        });
        if (res.status === 409) return undefined;
        expect(res.status).toBe(200);
        return true;
      },
      10_000,
      `pod ${pod.metadata.name} ${phase}`,
    );
  };
  const condition = (job: Job, type: string) =>
    job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
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
    ns = `jobs-${++seq}`;
    expect((await apiRequest(cluster.stack, 'POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
      201,
    );
  });

  afterEach(async () => {
    await apiRequest(cluster.stack, 'DELETE', `/api/v1/namespaces/${ns}`);
  });

  it('runs pods until completions succeed, then is Complete (kubectl wait --for=condition=complete)', async () => {
    const created = await createJob('pi', { completions: 2, parallelism: 1 });
    // The API server generates the selector and template labels from the uid, as upstream.
    expect(created.spec.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid },
    });
    expect(created.spec.template.metadata.labels).toMatchObject({
      'batch.kubernetes.io/job-name': 'pi',
      'job-name': 'pi',
      'controller-uid': created.metadata.uid,
    });

    const waiter = cluster.kubectl(['wait', '-n', ns, '--for=condition=complete', 'job/pi', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    for (let i = 0; i < 2; i++) {
      const [pod] = await eventually(
        async () => {
          const pods = await running('pi');
          return pods.length === 1 ? pods : undefined;
        },
        20_000,
        `pod ${i + 1} of the job`,
      );
      expect(pod.metadata.finalizers).toContain('batch.kubernetes.io/job-tracking');
      await setPhase(pod, 'Running');
      await setPhase(pod, 'Succeeded');
    }
    const waited = await waiter;
    expect(waited.stdout.trim()).toBe('job.batch/pi condition met');
    const job = await getJob('pi');
    expect(job.status).toMatchObject({ succeeded: 2, failed: 0, active: 0 });
    expect(job.status?.completionTime).toBeDefined();
    const pods = await listPods('pi');
    expect(pods.map((p) => p.status?.phase)).toEqual(['Succeeded', 'Succeeded']);
    expect(pods.every((p) => !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking'))).toBe(true);
    expect(await eventReasons('pi')).toEqual(expect.arrayContaining(['SuccessfulCreate', 'Completed']));
    const table = await cluster.kubectl(['get', 'job', 'pi', '-n', ns]);
    expect(table.stdout).toMatch(/^pi\s+Complete\s+2\/2\s+/m);
  });

  it('fails with BackoffLimitExceeded once more pods failed than backoffLimit allows', async () => {
    await createJob('fails', { backoffLimit: 0 });
    const [pod] = await eventually(
      async () => {
        const pods = await running('fails');
        return pods.length === 1 ? pods : undefined;
      },
      20_000,
      'the pod',
    );
    await setPhase(pod, 'Failed', 3);
    const job = await eventually(
      async () => {
        const j = await getJob('fails');
        return condition(j, 'Failed') ? j : undefined;
      },
      20_000,
      'the Failed condition',
    );
    expect(condition(job, 'Failed')).toMatchObject({
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(job.status).toMatchObject({ failed: 1, active: 0 });
    expect(await running('fails')).toEqual([]);
    expect(await eventReasons('fails')).toContain('BackoffLimitExceeded');
  });

  it('counts a pod deleted while running as failed, and replaces it after the backoff', async () => {
    await createJob('replace', { backoffLimit: 3 });
    const [first] = await eventually(
      async () => {
        const pods = await running('replace');
        return pods.length === 1 ? pods : undefined;
      },
      20_000,
      'the pod',
    );
    expect((await apiRequest(cluster.stack, 'DELETE', `${podsPath()}/${first.metadata.name}`)).status).toBe(200);
    await eventually(
      async () => ((await getJob('replace')).status?.failed === 1 ? true : undefined),
      20_000,
      'the failure counted',
    );
    expect(await running('replace')).toEqual([]); // not before the backoff
    // The first replacement waits out upstream's 10 s pod-failure backoff.
    const [second] = await eventually(
      async () => {
        const pods = await running('replace');
        return pods.length === 1 ? pods : undefined;
      },
      30_000,
      'a replacement pod',
    );
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    // Still terminating (no kubelet finishes it here), but no longer held by the Job's finalizer.
    const gone = (await apiRequest(cluster.stack, 'GET', `${podsPath()}/${first.metadata.name}`)).body as Pod;
    expect(gone.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
  }, 60_000);

  it('suspends and resumes: no pods while suspended, Suspended condition and events', async () => {
    await createJob('nap', { suspend: true, parallelism: 2, completions: 2 });
    await eventually(async () => (condition(await getJob('nap'), 'Suspended') ? true : undefined), 20_000, 'Suspended');
    expect(await listPods('nap')).toEqual([]);
    const patch = await apiRequest(
      cluster.stack,
      'PATCH',
      `${jobsPath()}/nap`,
      { spec: { suspend: false } },
      'application/merge-patch+json',
    );
    expect(patch.status).toBe(200);
    await eventually(
      async () => ((await running('nap')).length === 2 ? true : undefined),
      20_000,
      'two pods after resume',
    );
    const job = await eventually(
      async () => {
        const j = await getJob('nap');
        return j.status?.active === 2 ? j : undefined;
      },
      20_000,
      'status after resume',
    );
    expect(job.status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({
      status: 'False',
      reason: 'JobResumed',
    });
    expect(await eventReasons('nap')).toEqual(expect.arrayContaining(['Suspended', 'Resumed']));

    await apiRequest(
      cluster.stack,
      'PATCH',
      `${jobsPath()}/nap`,
      { spec: { suspend: true } },
      'application/merge-patch+json',
    );
    await eventually(
      async () => ((await listPods('nap')).length === 0 ? true : undefined),
      20_000,
      'pods deleted on suspend',
    );
    expect((await getJob('nap')).status).toMatchObject({ active: 0, failed: 0 });
  });

  it('deletes a finished Job after ttlSecondsAfterFinished, and its pods go with it', async () => {
    await createJob('brief', { ttlSecondsAfterFinished: 1 });
    const [pod] = await eventually(
      async () => {
        const pods = await running('brief');
        return pods.length === 1 ? pods : undefined;
      },
      20_000,
      'the pod',
    );
    await setPhase(pod, 'Succeeded');
    await eventually(
      async () => ((await apiRequest(cluster.stack, 'GET', `${jobsPath()}/brief`)).status === 404 ? true : undefined),
      20_000,
      'the Job deleted',
    );
    await eventually(
      async () => ((await listPods('brief')).length === 0 ? true : undefined),
      20_000,
      'its pods collected',
    );
  });
});
