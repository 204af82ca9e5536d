import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES } from '@skiff/controller-runtime';
import type { PersistentVolume } from '@skiff/kube-types';
import { FakeCluster } from '@skiff/testing';
import { PersistentVolumeReconciler } from './persistent-volume.reconciler';
import {
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
} from './storage-annotations';
import { apiContext, claim, claimIn, volume, volumeIn } from './storage-cluster.fixture';

type ReclaimPolicy = PersistentVolume['spec']['persistentVolumeReclaimPolicy'];

describe(`${PersistentVolumeReconciler.name} reclaiming`, () => {
  let cluster: FakeCluster;
  let controller: PersistentVolumeReconciler;

  const reconcile = async (...keys: string[]) => {
    for (const key of keys) {
      cluster.sync();
      await controller.reconcile(apiContext(cluster), key);
    }
    cluster.sync();
  };
  const pv = (name: string) => volumeIn(cluster, name)!;
  /** A volume bound to claim `data` of team, and the claim (unless `claimToo` is false). */
  const bound = (name: string, policy: ReclaimPolicy, annotations?: Record<string, string>, claimToo = true) => {
    const claimRef = { kind: 'PersistentVolumeClaim', namespace: 'team', name: 'data', uid: 'uid-data' };
    const v = volume(name, { claimRef, persistentVolumeReclaimPolicy: policy }, { annotations });
    cluster.put(PERSISTENT_VOLUMES, { ...v, status: { phase: 'Bound' } });
    const c = claim(
      'data',
      { storageClassName: '', volumeName: name },
      { annotations: { [BIND_COMPLETED_ANNOTATION]: 'yes' } },
    );
    if (claimToo) cluster.put(PERSISTENT_VOLUME_CLAIMS, { ...c, status: { phase: 'Bound' } });
  };

  beforeEach(() => {
    cluster = new FakeCluster();
    controller = new PersistentVolumeReconciler();
    controller.begin(apiContext(cluster));
  });

  it('releases a volume whose claim is deleted; Retain keeps it Released with its claimRef', async () => {
    bound('pv-keep', 'Retain');
    cluster.sync();
    cluster.remove(PERSISTENT_VOLUME_CLAIMS, 'team', 'data');
    await reconcile('volume:pv-keep', 'volume:pv-keep');
    expect(pv('pv-keep').status?.phase).toBe('Released');
    expect(pv('pv-keep').spec.claimRef?.name).toBe('data');
    expect(cluster.events).toEqual([]);

    // A new claim of the same name is another claim: it does not get the released volume.
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: '' }, { uid: 'uid-data-2' }));
    await reconcile('claim:team/data', 'volume:pv-keep');
    expect(claimIn(cluster, 'data')?.status?.phase).toBe('Pending');
    expect(pv('pv-keep').status?.phase).toBe('Released');
  });

  it("fails a Recycle volume with upstream's message: there is no recycler", async () => {
    bound('pv-recycle', 'Recycle', undefined, false);
    await reconcile('volume:pv-recycle');
    expect(pv('pv-recycle').status).toEqual({ phase: 'Failed', message: 'No recycler plugin found for the volume!' });
    expect(cluster.events).toEqual([
      'Warning VolumeFailedRecycle pv-recycle: No recycler plugin found for the volume!',
    ]);
  });

  it('fails a Delete volume no provisioner made (nothing can delete it), and leaves a provisioned one to its provisioner', async () => {
    bound('pv-static', 'Delete', undefined, false);
    bound('d-made', 'Delete', { [PROVISIONED_BY_ANNOTATION]: 'diskplugin.csi.alibabacloud.com' }, false);
    await reconcile('volume:pv-static', 'volume:d-made');
    const message = 'error getting deleter volume plugin for volume "pv-static": no deletable volume plugin matched';
    expect(pv('pv-static').status).toEqual({ phase: 'Failed', message });
    expect(pv('d-made').status).toEqual({ phase: 'Released' });
    expect(cluster.events).toEqual([`Warning VolumeFailedDelete pv-static: ${message}`]);
  });

  it('does not release a volume whose claim the cache has not seen yet', async () => {
    bound('pv-new', 'Delete', { [PROVISIONED_BY_ANNOTATION]: 'diskplugin.csi.alibabacloud.com' }, false);
    cluster.sync();
    bound('pv-new', 'Delete', { [PROVISIONED_BY_ANNOTATION]: 'diskplugin.csi.alibabacloud.com' }); // the claim, not synced
    await controller.reconcile(apiContext(cluster), 'volume:pv-new');
    expect(pv('pv-new').status?.phase).toBe('Bound');
  });

  it("rolls back a binding the claim did not keep: the controller's entirely, a user's down to its name", async () => {
    bound('pv-kept', 'Retain');
    const stale = { kind: 'PersistentVolumeClaim', namespace: 'team', name: 'data', uid: 'uid-data' };
    const ours = volume('pv-ours', { claimRef: stale }, { annotations: { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } });
    cluster.put(PERSISTENT_VOLUMES, { ...ours, status: { phase: 'Bound' } });
    cluster.put(PERSISTENT_VOLUMES, { ...volume('pv-users', { claimRef: stale }), status: { phase: 'Bound' } });
    await reconcile('volume:pv-ours', 'volume:pv-users');
    expect(pv('pv-ours').spec.claimRef).toBeUndefined();
    expect(pv('pv-ours').metadata.annotations).toEqual({});
    expect(pv('pv-ours').status?.phase).toBe('Available');
    expect(pv('pv-users').spec.claimRef).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'team', name: 'data' });
    expect(pv('pv-users').status?.phase).toBe('Available');
  });

  it('releases a volume provisioned for a claim that got bound to another one', async () => {
    bound('pv-kept', 'Retain');
    const ref = { kind: 'PersistentVolumeClaim', namespace: 'team', name: 'data', uid: 'uid-data' };
    const extra = volume('d-extra', { claimRef: ref, persistentVolumeReclaimPolicy: 'Delete' });
    extra.metadata.annotations = { [PROVISIONED_BY_ANNOTATION]: 'diskplugin.csi.alibabacloud.com' };
    cluster.put(PERSISTENT_VOLUMES, { ...extra, status: { phase: 'Bound' } });
    await reconcile('volume:d-extra');
    expect(pv('d-extra').status?.phase).toBe('Released');
  });
});
