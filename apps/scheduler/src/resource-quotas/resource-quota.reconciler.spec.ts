import { Clock, KubeObject } from '@skiff/api-machinery';
import { PODS, RESOURCE_QUOTAS, SECRETS } from '@skiff/controller-runtime';
import { isConflict } from '@skiff/kube-client';
import { FakeCluster } from '@skiff/testing';
import { ResourceQuotaReconciler } from './resource-quota.reconciler';

const pod = (name: string, cpu: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'dev' },
  spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu } } }] },
  status: { phase: 'Running' },
});

describe(ResourceQuotaReconciler.name, () => {
  let cluster: FakeCluster;
  let reconciler: ResourceQuotaReconciler;
  const used = () => (cluster.get(RESOURCE_QUOTAS, 'dev', 'compute')?.status as { used?: unknown } | undefined)?.used;

  beforeEach(() => {
    cluster = new FakeCluster();
    reconciler = new ResourceQuotaReconciler(new Clock());
    cluster.put(RESOURCE_QUOTAS, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute', namespace: 'dev' },
      spec: { hard: { 'requests.cpu': '2', pods: '4', secrets: '2' } },
    });
    cluster.put(PODS, pod('a', '500m'));
    cluster.put(PODS, pod('b', '250m'));
    cluster.put(PODS, { ...pod('other', '1'), metadata: { name: 'other', namespace: 'prod' } });
    cluster.put(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'dev' } });
    reconciler.begin(cluster.ctx);
    cluster.sync();
  });

  it('sets status.hard and status.used from the objects the quota matches in its namespace', async () => {
    expect(cluster.enqueued).toContain('dev/compute');
    await reconciler.reconcile(cluster.ctx, 'dev/compute');
    expect(cluster.get(RESOURCE_QUOTAS, 'dev', 'compute')?.status).toEqual({
      hard: { pods: '4', 'requests.cpu': '2', secrets: '2' },
      used: { pods: '2', 'requests.cpu': '750m', secrets: '1' },
    });
  });

  it('releases what a finished or deleted pod used', async () => {
    await reconciler.reconcile(cluster.ctx, 'dev/compute');
    cluster.enqueued.length = 0;
    cluster.put(PODS, { ...pod('a', '500m'), status: { phase: 'Succeeded' } });
    cluster.remove(PODS, 'dev', 'b');
    cluster.sync();
    expect(cluster.enqueued).toContain('dev/compute');
    await reconciler.reconcile(cluster.ctx, 'dev/compute');
    expect(used()).toEqual({ pods: '0', 'requests.cpu': '0', secrets: '1' });
  });

  it('does not requeue for a pod update that leaves usage as it was', async () => {
    cluster.enqueued.length = 0;
    cluster.put(PODS, { ...pod('a', '500m'), metadata: { name: 'a', namespace: 'dev', labels: { x: 'y' } } });
    cluster.sync();
    expect(cluster.enqueued).toEqual([]);
  });

  it('never overwrites a charge made after it read the quota', async () => {
    const ctx = cluster.ctx;
    const quotas = ctx.client.resource(RESOURCE_QUOTAS);
    const realGet = quotas.get.bind(quotas);
    // Admission charges between the controller's read and its write.
    const racing = {
      ...ctx,
      client: {
        resource: (ref: typeof RESOURCE_QUOTAS) => {
          const r = ctx.client.resource(ref);
          if (ref !== RESOURCE_QUOTAS) return r;
          return {
            ...r,
            get: async (ns: string, name: string) => {
              const q = await realGet(ns, name);
              cluster.put(RESOURCE_QUOTAS, { ...q, status: { used: { 'requests.cpu': '1750m' } } });
              return q;
            },
          };
        },
      } as unknown as typeof ctx.client,
    };
    const err = await reconciler.reconcile(racing, 'dev/compute').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConflict(err)).toBe(true);
    expect(used()).toEqual({ 'requests.cpu': '1750m' });
  });
});
