import { KubeObject } from '@skiff/api-machinery';
import type { JobStatus } from '@skiff/kube-types';
import { JOBS, PODS } from '@skiff/controller-runtime';
import { FakeBatchApi, FakeClock } from './fake-batch-api.fixture';
import { JobReconciler } from './job.reconciler';
import { JOB_TRACKING_FINALIZER } from './job-spec';

const NS = 'team';

interface PodView {
  metadata: {
    name: string;
    generateName?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec: { hostname?: string; containers: { env?: unknown[] }[] };
}

function jobObject(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name, namespace: NS },
    spec: {
      parallelism: 1,
      completionMode: 'NonIndexed',
      backoffLimit: 6,
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      template: {
        metadata: { labels: { app: name } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
      ...spec,
    },
  };
}

describe(JobReconciler.name, () => {
  let clock: FakeClock;
  let api: FakeBatchApi;
  let controller: JobReconciler;

  const reconcile = async (name: string) => {
    api.sync();
    const result = await controller.reconcile(api.ctx, `${NS}/${name}`);
    api.sync();
    return result;
  };
  /** Reconciles until nothing changes (as the work queue would, event by event). */
  const settle = async (name: string) => {
    for (let i = 0; i < 10; i++) {
      const before = JSON.stringify([api.list(JOBS), api.list(PODS)]);
      await reconcile(name);
      if (JSON.stringify([api.list(JOBS), api.list(PODS)]) === before) return;
    }
    throw new Error('did not settle');
  };
  const job = (name: string) => api.get(JOBS, NS, name)!;
  const status = (name: string) => (job(name).status ?? {}) as JobStatus;
  const pods = () => api.list(PODS) as unknown as PodView[];
  const active = () =>
    pods().filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(phaseOf(p.metadata.name)));
  const phaseOf = (name: string) =>
    (api.get(PODS, NS, name)?.status as { phase?: string } | undefined)?.phase ?? 'Pending';
  const finish = (podName: string, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1) =>
    api.edit(PODS, NS, podName, (p) => {
      p.status = {
        phase,
        containerStatuses: [
          { name: 'main', state: { terminated: { exitCode, finishedAt: new Date(clock.nowMs()).toISOString() } } },
        ],
      };
    });
  const conditions = (name: string) =>
    (status(name).conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);
  const reasons = () => api.events.map((e) => e.reason);

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeBatchApi(clock);
    controller = new JobReconciler(clock);
    controller.begin(api.ctx);
  });

  it('runs parallelism pods until completions succeed, counting each pod once through its finalizer', async () => {
    const created = api.create(JOBS, jobObject('pi', { completions: 3, parallelism: 2 }));
    await settle('pi');
    expect(active()).toHaveLength(2);
    const first = pods()[0];
    expect(first.metadata.generateName).toBe('pi-');
    expect(first.metadata.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
    expect(first.metadata.labels).toEqual({
      app: 'pi',
      'batch.kubernetes.io/controller-uid': created.metadata.uid,
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': created.metadata.uid,
      'job-name': 'pi',
    });
    expect(status('pi')).toMatchObject({ active: 2, startTime: '2024-03-01T10:00:00Z' });

    finish(first.metadata.name, 'Succeeded');
    await settle('pi');
    expect(api.get(PODS, NS, first.metadata.name)?.metadata.finalizers ?? []).toEqual([]);
    expect(status('pi')).toMatchObject({
      succeeded: 1,
      active: 2,
      uncountedTerminatedPods: { succeeded: [], failed: [] },
    });

    clock.advance(5000);
    for (const p of active()) finish(p.metadata.name, 'Succeeded');
    await settle('pi');
    expect(pods()).toHaveLength(3); // no pod beyond what completions needed
    expect(status('pi')).toMatchObject({ succeeded: 3, active: 0, failed: 0, completionTime: '2024-03-01T10:00:05Z' });
    expect(conditions('pi')).toEqual(['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    expect(reasons().filter((r) => r === 'SuccessfulCreate')).toHaveLength(3);
    expect(reasons()).toContain('Completed');
  });

  it('never creates more pods while its own creations are not in the cache yet (expectations)', async () => {
    api.create(JOBS, jobObject('burst', { completions: 5, parallelism: 3 }));
    api.sync();
    await controller.reconcile(api.ctx, `${NS}/burst`);
    // The watch has delivered neither the pods nor the Job's new status: the status write conflicts, and nothing is created.
    await expect(controller.reconcile(api.ctx, `${NS}/burst`)).rejects.toThrow(/changed meanwhile/);
    expect(pods()).toHaveLength(3);
  });

  it('gives Indexed pods their index as annotation, label, env, hostname and name, one pod per index', async () => {
    api.create(JOBS, jobObject('idx', { completionMode: 'Indexed', completions: 3, parallelism: 2 }));
    await settle('idx');
    const byIndex = new Map(
      pods().map((p) => [p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], p]),
    );
    expect([...byIndex.keys()].sort()).toEqual(['0', '1']);
    const zero = byIndex.get('0')!;
    expect(zero.metadata.generateName).toBe('idx-0-');
    expect(zero.metadata.labels['batch.kubernetes.io/job-completion-index']).toBe('0');
    expect(zero.spec.hostname).toBe('idx-0');
    expect(zero.spec.containers[0].env).toEqual([
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
      },
    ]);

    finish(byIndex.get('1')!.metadata.name, 'Succeeded');
    await settle('idx');
    expect(status('idx')).toMatchObject({ completedIndexes: '1', succeeded: 1, active: 2 });
    const indexes = active().map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']);
    expect(indexes.sort()).toEqual(['0', '2']);

    for (const p of active()) finish(p.metadata.name, 'Succeeded');
    await settle('idx');
    expect(status('idx')).toMatchObject({ completedIndexes: '0-2', succeeded: 3 });
    expect(conditions('idx')).toContain('Complete/CompletionsReached');
  });

  it('waits 10 s, then 20 s before replacing failed pods, and fails the Job past backoffLimit', async () => {
    api.create(JOBS, jobObject('flaky', { backoffLimit: 2 }));
    await settle('flaky');
    finish(pods()[0].metadata.name, 'Failed');
    await settle('flaky');
    expect(active()).toHaveLength(0);
    expect(status('flaky').failed).toBe(1);
    const wait = await reconcile('flaky');
    expect(wait?.requeueAfterMs).toBeGreaterThan(9_000);
    expect(wait?.requeueAfterMs).toBeLessThanOrEqual(10_100);

    clock.advance(10_000);
    await settle('flaky');
    expect(active()).toHaveLength(1);
    finish(active()[0].metadata.name, 'Failed');
    await settle('flaky');
    clock.advance(15_000);
    await settle('flaky');
    expect(active()).toHaveLength(0); // second failure: 20 s
    clock.advance(5_000);
    await settle('flaky');
    expect(active()).toHaveLength(1);

    finish(active()[0].metadata.name, 'Failed');
    await settle('flaky');
    expect(status('flaky').failed).toBe(3);
    expect(conditions('flaky')).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    expect(status('flaky').completionTime).toBeUndefined();
    expect(api.events.find((e) => e.reason === 'BackoffLimitExceeded')).toMatchObject({
      type: 'Warning',
      message: 'Job has reached the specified backoff limit',
    });
  });

  it('counts a running pod deleted by someone else as failed and replaces it', async () => {
    api.create(JOBS, jobObject('victim', {}));
    await settle('victim');
    const pod = pods()[0];
    await api.ctx.client.resource(PODS).delete(NS, pod.metadata.name);
    await settle('victim');
    expect(api.get(PODS, NS, pod.metadata.name)).toBeUndefined(); // finalizer released, pod gone
    expect(status('victim').failed).toBe(1);
  });

  it('applies podFailurePolicy: FailJob on a matching exit code, Ignore without counting', async () => {
    const policy = {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ],
    };
    api.create(JOBS, jobObject('pfp', { podFailurePolicy: policy, podReplacementPolicy: 'Failed', backoffLimit: 0 }));
    await settle('pfp');
    const first = pods()[0].metadata.name;
    api.edit(PODS, NS, first, (p) => {
      p.status = { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True' }] };
    });
    await settle('pfp');
    expect(status('pfp').failed ?? 0).toBe(0);
    expect(conditions('pfp')).toEqual([]);
    expect(active()).toHaveLength(1); // replaced at once: an ignored failure is no backoff either

    finish(active()[0].metadata.name, 'Failed', 42);
    await settle('pfp');
    expect(conditions('pfp')).toEqual(['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    expect(status('pfp').conditions?.find((c) => c.type === 'Failed')?.message).toMatch(
      /^Container main for pod team\/pfp-\w+ failed with exit code 42 matching FailJob rule at index 0$/,
    );
  });

  it('fails the Job after activeDeadlineSeconds and stops its pods', async () => {
    api.create(JOBS, jobObject('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 2 }));
    await settle('slow');
    expect((await reconcile('slow'))?.requeueAfterMs).toBe(30_100);
    clock.advance(30_000);
    await settle('slow');
    expect(conditions('slow')).toEqual(['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded']);
    expect(pods()).toHaveLength(0); // deleted; the finalizer was released and they were not running anywhere
    expect(reasons()).toEqual(expect.arrayContaining(['SuccessfulDelete', 'DeadlineExceeded']));
  });

  it('suspends (pods deleted, not counted as failures) and resumes with a new startTime', async () => {
    api.create(JOBS, jobObject('nap', { parallelism: 2, completions: 4 }));
    await settle('nap');
    api.edit(JOBS, NS, 'nap', (j) => ((j.spec as { suspend: boolean }).suspend = true));
    await settle('nap');
    expect(pods()).toHaveLength(0);
    expect(status('nap')).toMatchObject({ active: 0, failed: 0 });
    expect(conditions('nap')).toEqual(['Suspended/JobSuspended']);

    clock.advance(60_000);
    api.edit(JOBS, NS, 'nap', (j) => ((j.spec as { suspend: boolean }).suspend = false));
    await settle('nap');
    expect(active()).toHaveLength(2);
    expect(status('nap').startTime).toBe('2024-03-01T10:01:00Z');
    expect(status('nap').conditions?.find((c) => c.type === 'Suspended')).toMatchObject({
      status: 'False',
      reason: 'JobResumed',
    });
    expect(reasons()).toEqual(expect.arrayContaining(['Suspended', 'Resumed']));
  });

  it('deletes a finished Job in the background after ttlSecondsAfterFinished', async () => {
    api.create(JOBS, jobObject('brief', { ttlSecondsAfterFinished: 60 }));
    await settle('brief');
    finish(pods()[0].metadata.name, 'Succeeded');
    await settle('brief');
    expect(conditions('brief')).toContain('Complete/CompletionsReached');
    expect((await reconcile('brief'))?.requeueAfterMs).toBe(60_100);
    clock.advance(60_000);
    await reconcile('brief');
    expect(api.get(JOBS, NS, 'brief')).toBeUndefined();
    expect(api.deletes.find((d) => d.resource === 'jobs')?.opts).toMatchObject({ propagationPolicy: 'Background' });
  });
});
