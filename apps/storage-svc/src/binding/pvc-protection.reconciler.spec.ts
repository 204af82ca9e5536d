import { PERSISTENT_VOLUME_CLAIMS, PODS } from '@skiff/controller-runtime';
import type { Pod } from '@skiff/kube-types';

type PodPhase = NonNullable<Pod['status']>['phase'];
import { FakeCluster } from '@skiff/testing';
import { PvcProtectionReconciler } from './pvc-protection.reconciler';
import { PVC_PROTECTION_FINALIZER } from './storage-annotations';
import { apiContext, claim, claimIn, deleteAsApiServer } from './storage-cluster.fixture';

function pod(name: string, claimName: string, extra: { nodeName?: string; phase?: PodPhase } = {}): Pod {
  return {
    metadata: { namespace: 'team', name },
    spec: {
      containers: [{ name: 'main', image: 'busybox' }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
    },
    status: { phase: extra.phase ?? 'Running' },
  };
}

describe(PvcProtectionReconciler.name, () => {
  let cluster: FakeCluster;
  let controller: PvcProtectionReconciler;

  const reconcile = async (key = 'team/data') => {
    cluster.sync();
    await controller.reconcile(apiContext(cluster), key);
    cluster.sync();
  };
  const deleteClaim = async (name = 'data') => {
    await reconcile(`team/${name}`); // the finalizer first, as on create
    deleteAsApiServer(cluster, PERSISTENT_VOLUME_CLAIMS, 'team', name);
  };

  beforeEach(() => {
    cluster = new FakeCluster();
    controller = new PvcProtectionReconciler();
    controller.begin(apiContext(cluster));
  });

  it('puts its finalizer on every claim, once', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', {}, { finalizers: ['example.com/keep'] }));
    await reconcile();
    await reconcile();
    expect(claimIn(cluster, 'data')?.metadata.finalizers).toEqual(['example.com/keep', PVC_PROTECTION_FINALIZER]);
    expect(cluster.writes).toHaveLength(1);
  });

  it('keeps a deleted claim while a running pod uses it, and lets it go when the pod has finished', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data'));
    cluster.put(PODS, pod('app', 'data', { nodeName: 'virtual-node-cn-hangzhou-a' }));
    await deleteClaim();
    await reconcile();
    expect(claimIn(cluster, 'data')?.metadata.deletionTimestamp).toBeDefined();

    cluster.put(PODS, pod('app', 'data', { nodeName: 'virtual-node-cn-hangzhou-a', phase: 'Succeeded' }));
    cluster.sync();
    expect(cluster.enqueued).toContain('team/data'); // the pod's change brings the claim back
    await reconcile();
    expect(claimIn(cluster, 'data')).toBeUndefined();
  });

  it('does not count a pod not yet scheduled, nor one shut down', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data'));
    cluster.put(PODS, pod('pending', 'data'));
    const done = pod('done', 'data', { nodeName: 'virtual-node-cn-hangzhou-a' });
    done.metadata = { ...done.metadata, deletionTimestamp: '2024-03-01T10:00:00Z', deletionGracePeriodSeconds: 0 };
    cluster.put(PODS, done);
    await deleteClaim();
    await reconcile();
    expect(claimIn(cluster, 'data')).toBeUndefined();
  });

  it("counts a pod's generic ephemeral volume claim", async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('app-scratch'));
    const p = pod('app', 'other', { nodeName: 'virtual-node-cn-hangzhou-a' });
    p.spec.volumes = [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }];
    cluster.put(PODS, p);
    await deleteClaim('app-scratch');
    await reconcile('team/app-scratch');
    expect(claimIn(cluster, 'app-scratch')?.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
  });

  it('asks the API before letting go: a pod the cache has not seen yet still counts', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data'));
    await deleteClaim();
    cluster.sync();
    cluster.put(PODS, pod('fresh', 'data', { nodeName: 'virtual-node-cn-hangzhou-a' })); // not in the cache
    await controller.reconcile(apiContext(cluster), 'team/data');
    expect(claimIn(cluster, 'data')?.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
  });
});
