import { KubeObject } from '@skiff/api-machinery';
import {
  ControllerContext,
  CRON_HORIZONTAL_POD_AUTOSCALERS,
  DEPLOYMENTS,
  HORIZONTAL_POD_AUTOSCALERS,
  Scale,
} from '@skiff/controller-runtime';
import { KubeApiError, ResourceRef } from '@skiff/kube-client';
import { FakeBatchApi, FakeClock } from '../jobs/fake-batch-api.fixture';
import { CronHorizontalPodAutoscaler, CronHpaCondition } from './cron-horizontal-pod-autoscaler';
import { CronHpaReconciler, MISSED_RUN_GRACE_MS } from './cron-hpa.reconciler';

const NS = 'shop';
const DEPLOY_PATH = `/apis/apps/v1/namespaces/${NS}/deployments/`;

function cronHpa(name: string, spec: Partial<CronHorizontalPodAutoscaler['spec']>): KubeObject {
  return {
    metadata: { name, namespace: NS, generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      jobs: [{ name: 'up', schedule: '*/5 * * * * *', targetSize: 3 }],
      ...spec,
    },
  };
}

describe(CronHpaReconciler.name, () => {
  let clock: FakeClock;
  let api: FakeBatchApi;
  let ctx: ControllerContext;
  let controller: CronHpaReconciler;

  const reconcile = async (name = 'nightly') => {
    api.sync();
    const result = await controller.reconcile(ctx, `${NS}/${name}`);
    api.sync();
    return result;
  };
  const conditions = (name = 'nightly') =>
    ((api.get(CRON_HORIZONTAL_POD_AUTOSCALERS, NS, name)!.status ?? {}) as CronHorizontalPodAutoscaler['status'])!
      .conditions ?? [];
  const condition = (job = 'up', name = 'nightly'): CronHpaCondition => conditions(name).find((c) => c.name === job)!;
  const replicas = (name = 'web') => (api.get(DEPLOYMENTS, NS, name)!.spec as { replicas: number }).replicas;
  const events = () => api.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const at = (iso: string) => (clock.ms = Date.parse(iso));

  beforeEach(() => {
    clock = new FakeClock(Date.parse('2024-03-01T10:00:01.300Z'));
    api = new FakeBatchApi(clock);
    const client = api.ctx.client;
    ctx = {
      ...api.ctx,
      client: {
        resource: (ref: ResourceRef) => client.resource(ref),
        // Discovery and the Deployments' /scale subresource, served from the fake store.
        request: async (method: string, path: string, body?: Scale) => {
          if (path === '/apis/apps/v1')
            return {
              resources: [
                { name: 'deployments', kind: 'Deployment' },
                { name: 'deployments/scale', kind: 'Scale' },
              ],
            };
          if (path === '/api/v1') return { resources: [{ name: 'configmaps', kind: 'ConfigMap' }] };
          if (!path.startsWith(DEPLOY_PATH) || !path.endsWith('/scale')) throw new KubeApiError(404, 'NotFound', path);
          const name = path.slice(DEPLOY_PATH.length, -'/scale'.length);
          const deployment = api.get(DEPLOYMENTS, NS, name);
          if (!deployment) throw new KubeApiError(404, 'NotFound', `deployments.apps "${name}" not found`);
          if (method === 'PUT')
            api.edit(DEPLOYMENTS, NS, name, (d) => ((d.spec as { replicas?: number }).replicas = body!.spec!.replicas));
          const d = api.get(DEPLOYMENTS, NS, name)!;
          return {
            kind: 'Scale',
            metadata: { name, namespace: NS },
            spec: { replicas: (d.spec as { replicas: number }).replicas },
          };
        },
      } as unknown as ControllerContext['client'],
    };
    api.create(DEPLOYMENTS, { metadata: { name: 'web', namespace: NS }, spec: { replicas: 1 } });
    controller = new CronHpaReconciler(clock);
    controller.begin(ctx);
  });

  it('submits each job, then scales the target at its second and records the run', async () => {
    api.create(CRON_HORIZONTAL_POD_AUTOSCALERS, cronHpa('nightly', {}));
    const wait = await reconcile();
    expect(condition()).toEqual({
      name: 'up',
      jobId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      schedule: '*/5 * * * * *',
      targetSize: 3,
      runOnce: false,
      state: 'Submitted',
      lastProbeTime: '2024-03-01T10:00:01Z',
      message: '',
    });
    expect(wait?.requeueAfterMs).toBe(3_705); // 10:00:05 plus 5 ms
    const submitted = condition();

    clock.advance(3_705);
    const next = await reconcile();
    expect(replicas()).toBe(3);
    expect(condition()).toEqual({
      ...submitted,
      state: 'Succeed',
      lastProbeTime: '2024-03-01T10:00:05Z',
      message: 'cron hpa job up executed successfully. current replicas:1, desired replicas:3.',
    });
    expect(events()).toEqual([
      'Normal Succeed: cron hpa job up executed successfully. current replicas:1, desired replicas:3.',
    ]);
    expect(next?.requeueAfterMs).toBe(5_000);

    // An early look (before the cache saw the status) runs nothing twice.
    await reconcile();
    expect(events()).toHaveLength(1);
  });

  it('echoes scaleTargetRef and excludeDates into status, as ASK does', async () => {
    api.create(CRON_HORIZONTAL_POD_AUTOSCALERS, cronHpa('nightly', { excludeDates: ['* * * 15 11 *'] }));
    await reconcile();
    const status = api.get(CRON_HORIZONTAL_POD_AUTOSCALERS, NS, 'nightly')!
      .status as CronHorizontalPodAutoscaler['status'];
    expect(status!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    expect(status!.excludeDates).toEqual(['* * * 15 11 *']);
  });

  it('runs a runOnce job (or an @date one) once, and never again', async () => {
    api.create(
      CRON_HORIZONTAL_POD_AUTOSCALERS,
      cronHpa('nightly', {
        jobs: [
          { name: 'up', schedule: '*/5 * * * * *', targetSize: 3, runOnce: true },
          { name: 'launch', schedule: '@date 2024-03-01 10:00:10', targetSize: 4 },
        ],
      }),
    );
    await reconcile();
    clock.advance(3_705);
    const after = await reconcile();
    expect(replicas()).toBe(3);
    expect(condition().state).toBe('Succeed');
    expect(after?.requeueAfterMs).toBe(5_000); // only the @date job is left

    clock.advance(5_000);
    const last = await reconcile();
    expect(replicas()).toBe(4);
    expect(condition('launch').state).toBe('Succeed');
    expect(last).toBeUndefined();

    api.edit(DEPLOYMENTS, NS, 'web', (d) => ((d.spec as { replicas: number }).replicas = 1));
    clock.advance(60_000);
    await reconcile();
    expect(replicas()).toBe(1);
    expect(events().filter((e) => e.startsWith('Normal Succeed'))).toHaveLength(2);
  });

  it('skips a run on an excluded day and says why', async () => {
    api.create(CRON_HORIZONTAL_POD_AUTOSCALERS, cronHpa('nightly', { excludeDates: ['* * * 1 3 *', '* * * 2 3 *'] }));
    await reconcile();
    clock.advance(3_705);
    await reconcile();
    expect(replicas()).toBe(1);
    expect(condition().state).toBe('Succeed');
    expect(condition().message).toBe(
      'cron hpa job up executed successfully. skip scaling activity,because of excludeDate (* * * 1 3 *).',
    );

    // The day is the job's zone's: 2 March 07:00 in Shanghai is still 1 March in UTC, and 2 March is excluded.
    api.edit(CRON_HORIZONTAL_POD_AUTOSCALERS, NS, 'nightly', (c) => {
      (c.spec as CronHorizontalPodAutoscaler['spec']).excludeDates = ['* * * 2 3 *'];
      (c.spec as CronHorizontalPodAutoscaler['spec']).jobs = [
        { name: 'up', schedule: 'CRON_TZ=Asia/Shanghai 0 0 7 * * *', targetSize: 3 },
      ];
    });
    at('2024-03-01T22:59:59Z');
    await reconcile();
    at('2024-03-01T23:00:00.005Z');
    await reconcile();
    expect(replicas()).toBe(1);
    expect(condition().message).toContain('because of excludeDate (* * * 2 3 *)');
  });

  it('resubmits a job whose spec changed, and every job when the target or excludeDates change', async () => {
    api.create(
      CRON_HORIZONTAL_POD_AUTOSCALERS,
      cronHpa('nightly', {
        jobs: [
          { name: 'up', schedule: '*/5 * * * * *', targetSize: 3 },
          { name: 'down', schedule: '0 0 20 * * *', targetSize: 1 },
        ],
      }),
    );
    await reconcile();
    clock.advance(3_705);
    await reconcile();
    const [up, down] = [condition('up'), condition('down')];
    expect(up.state).toBe('Succeed');

    clock.advance(1_000);
    api.edit(CRON_HORIZONTAL_POD_AUTOSCALERS, NS, 'nightly', (c) => {
      (c.spec as CronHorizontalPodAutoscaler['spec']).jobs[0].targetSize = 5;
    });
    await reconcile();
    expect(condition('up')).toEqual(
      expect.objectContaining({
        targetSize: 5,
        state: 'Submitted',
        lastProbeTime: '2024-03-01T10:00:06Z',
        message: '',
      }),
    );
    expect(condition('up').jobId).not.toBe(up.jobId);
    expect(condition('down')).toEqual(down);

    api.edit(CRON_HORIZONTAL_POD_AUTOSCALERS, NS, 'nightly', (c) => {
      (c.spec as CronHorizontalPodAutoscaler['spec']).scaleTargetRef.name = 'api';
    });
    await reconcile();
    expect(condition('down').jobId).not.toBe(down.jobId);
    expect(condition('down').state).toBe('Submitted');

    api.edit(CRON_HORIZONTAL_POD_AUTOSCALERS, NS, 'nightly', (c) => {
      (c.spec as CronHorizontalPodAutoscaler['spec']).jobs = [
        { name: 'down', schedule: '0 0 20 * * *', targetSize: 1 },
      ];
    });
    await reconcile();
    expect(conditions().map((c) => c.name)).toEqual(['down']);
  });

  it('fails a job whose schedule does not parse, and keeps the others running', async () => {
    api.create(
      CRON_HORIZONTAL_POD_AUTOSCALERS,
      cronHpa('nightly', {
        jobs: [
          { name: 'bad', schedule: '0 8 * * *', targetSize: 2 },
          { name: 'up', schedule: '*/5 * * * * *', targetSize: 3 },
        ],
      }),
    );
    const wait = await reconcile();
    expect(condition('bad')).toEqual(
      expect.objectContaining({
        state: 'Failed',
        message:
          'Failed to create cron hpa job bad in nightly namespace shop,because of invalid schedule "0 8 * * *": expected exactly 6 fields, found 5: [0 8 * * *]',
      }),
    );
    expect(wait?.requeueAfterMs).toBe(3_705);
  });

  it('fails a run whose target is missing or cannot scale, with a Warning, and tries again next time', async () => {
    api.create(
      CRON_HORIZONTAL_POD_AUTOSCALERS,
      cronHpa('nightly', { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' } }),
    );
    api.create(
      CRON_HORIZONTAL_POD_AUTOSCALERS,
      cronHpa('settings', { scaleTargetRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg' } }),
    );
    await reconcile('nightly');
    await reconcile('settings');
    clock.advance(3_705);
    const next = await reconcile('nightly');
    await reconcile('settings');
    expect(condition('up', 'nightly')).toEqual(
      expect.objectContaining({
        state: 'Failed',
        message:
          'cron hpa failed to execute, because of failed to find source target Deployment gone in shop namespace',
      }),
    );
    expect(condition('up', 'settings').message).toBe(
      'cron hpa failed to execute, because of failed to find source target ConfigMap cfg in shop namespace, err is configmaps does not implement the scale subresource',
    );
    expect(events()).toEqual([
      `Warning Failed: ${condition('up', 'nightly').message}`,
      `Warning Failed: ${condition('up', 'settings').message}`,
    ]);
    expect(next?.requeueAfterMs).toBe(5_000);

    api.create(DEPLOYMENTS, { metadata: { name: 'gone', namespace: NS }, spec: { replicas: 1 } });
    clock.advance(5_000);
    await reconcile('nightly');
    expect(condition('up', 'nightly').state).toBe('Succeed');
    expect(replicas('gone')).toBe(3);
  });

  it('makes up only the latest missed run, and only within the grace', async () => {
    api.create(
      CRON_HORIZONTAL_POD_AUTOSCALERS,
      cronHpa('nightly', { jobs: [{ name: 'up', schedule: '@hourly', targetSize: 3 }] }),
    );
    await reconcile();
    at('2024-03-01T12:00:30Z'); // 11:00 and 12:00 passed while no scheduler ran; 12:00 is within the grace
    await reconcile();
    expect(replicas()).toBe(3);
    expect(events()).toHaveLength(1);

    api.edit(DEPLOYMENTS, NS, 'web', (d) => ((d.spec as { replicas: number }).replicas = 1));
    clock.ms = Date.parse('2024-03-01T13:00:00Z') + MISSED_RUN_GRACE_MS + 1_000;
    const next = await reconcile();
    expect(replicas()).toBe(1);
    expect(events()).toHaveLength(1);
    expect(next?.requeueAfterMs).toBe(Date.parse('2024-03-01T14:00:00Z') - clock.ms + 5);
  });

  it('warns when an HPA also scales the target', async () => {
    api.create(HORIZONTAL_POD_AUTOSCALERS, {
      metadata: { name: 'web-hpa', namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 5,
      },
    });
    api.create(CRON_HORIZONTAL_POD_AUTOSCALERS, cronHpa('nightly', {}));
    await reconcile();
    clock.advance(3_705);
    await reconcile();
    expect(replicas()).toBe(3);
    expect(events()).toContain(
      'Warning ConflictingHPA: HorizontalPodAutoscaler web-hpa also scales Deployment web and will override the replicas this CronHPA sets; set scaleTargetRef to the HorizontalPodAutoscaler instead',
    );
  });

  describe('aimed at an HPA', () => {
    const hpaSpec = () =>
      api.get(HORIZONTAL_POD_AUTOSCALERS, NS, 'web-hpa')!.spec as { minReplicas: number; maxReplicas: number };
    const createHpa = (min: number, max: number, current: number) => {
      api.create(HORIZONTAL_POD_AUTOSCALERS, {
        metadata: { name: 'web-hpa', namespace: NS },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: min,
          maxReplicas: max,
        },
        status: { currentReplicas: current, desiredReplicas: current },
      });
      api.edit(DEPLOYMENTS, NS, 'web', (d) => ((d.spec as { replicas: number }).replicas = current));
    };
    const runJob = async (targetSize: number) => {
      api.create(
        CRON_HORIZONTAL_POD_AUTOSCALERS,
        cronHpa('nightly', {
          scaleTargetRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'web-hpa' },
          jobs: [{ name: 'up', schedule: '*/5 * * * * *', targetSize }],
        }),
      );
      await reconcile();
      clock.advance(3_705);
      await reconcile();
    };

    it('raises maxReplicas and minReplicas to a larger targetSize, and scales up the HPA target', async () => {
      createHpa(1, 3, 2);
      await runJob(5);
      expect(hpaSpec()).toEqual(expect.objectContaining({ minReplicas: 5, maxReplicas: 5 }));
      expect(replicas()).toBe(5);
      expect(condition().message).toBe(
        'cron hpa job up executed successfully. current replicas:2, desired replicas:5.',
      );
      expect(events().some((e) => e.includes('ConflictingHPA'))).toBe(false);
    });

    it('lowers minReplicas to a smaller targetSize and leaves the replicas to the HPA, with ASK skip message', async () => {
      createHpa(4, 10, 6);
      await runJob(2);
      expect(hpaSpec()).toEqual(expect.objectContaining({ minReplicas: 2, maxReplicas: 10 }));
      expect(replicas()).toBe(6);
      expect(condition()).toEqual(
        expect.objectContaining({
          state: 'Succeed',
          message:
            'cron hpa job up executed successfully. Skip scale replicas because HPA web-hpa current replicas:6 >= desired replicas:2.',
        }),
      );
    });

    it('leaves the bounds alone when targetSize fits between minReplicas and the current replicas', async () => {
      createHpa(2, 10, 6);
      await runJob(4);
      expect(hpaSpec()).toEqual(expect.objectContaining({ minReplicas: 2, maxReplicas: 10 }));
      expect(condition().message).toContain(
        'Skip scale replicas because HPA web-hpa current replicas:6 >= desired replicas:4.',
      );
    });

    it('fails the run when the HPA is missing', async () => {
      await runJob(3);
      expect(condition().state).toBe('Failed');
      expect(condition().message).toBe(
        'cron hpa failed to execute, because of Failed to get HorizontalPodAutoscaler Ref,because of not found',
      );
    });
  });
});
