import { PERSISTENT_VOLUMES } from '@skiff/controller-runtime';
import { FakeCluster } from '@skiff/testing';
import { PvProtectionReconciler } from './pv-protection.reconciler';
import { PV_PROTECTION_FINALIZER } from './storage-annotations';
import { apiContext, deleteAsApiServer, volume, volumeIn } from './storage-cluster.fixture';

describe(PvProtectionReconciler.name, () => {
  let cluster: FakeCluster;
  let controller: PvProtectionReconciler;

  const reconcile = async () => {
    cluster.sync();
    await controller.reconcile(apiContext(cluster), 'pv-1');
    cluster.sync();
  };
  const setPhase = (phase: 'Bound' | 'Released') => {
    const pv = volumeIn(cluster, 'pv-1')!;
    cluster.put(PERSISTENT_VOLUMES, { ...pv, status: { phase } });
  };

  beforeEach(() => {
    cluster = new FakeCluster();
    controller = new PvProtectionReconciler();
    controller.begin(apiContext(cluster));
  });

  it('puts its finalizer on every volume, once', async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-1'));
    await reconcile();
    await reconcile();
    expect(volumeIn(cluster, 'pv-1')?.metadata.finalizers).toEqual([PV_PROTECTION_FINALIZER]);
    expect(cluster.writes).toHaveLength(1);
  });

  it('keeps a deleted volume while it is Bound, and lets it go once it is not', async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-1'));
    await reconcile();
    setPhase('Bound');
    deleteAsApiServer(cluster, PERSISTENT_VOLUMES, undefined, 'pv-1');
    await reconcile();
    expect(volumeIn(cluster, 'pv-1')?.metadata.deletionTimestamp).toBeDefined();

    setPhase('Released');
    await reconcile();
    expect(volumeIn(cluster, 'pv-1')).toBeUndefined();
  });
});
