import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES } from '@skiff/controller-runtime';
import { FakeClock, FakeCluster } from '@skiff/testing';
import {
  PROVISIONED_BY_ANNOTATION,
  PROVISIONER_FINALIZER,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
} from './storage-annotations';
import {
  apiContext,
  claim,
  FakeVolumeProvisioner,
  GI,
  infeasible,
  putClass,
  storageClass,
  unavailable,
  volume,
  volumeIn,
} from './storage-cluster.fixture';
import { VolumeProvisioningReconciler } from './volume-provisioning.reconciler';

const DISK = 'diskplugin.csi.alibabacloud.com';
const NAS = 'nasplugin.csi.alibabacloud.com';
const ESSD = 'alicloud-disk-essd';

describe(VolumeProvisioningReconciler.name, () => {
  let cluster: FakeCluster;
  let clock: FakeClock;
  let disks: FakeVolumeProvisioner;
  let nas: FakeVolumeProvisioner;
  let controller: VolumeProvisioningReconciler;

  const reconcile = async (key: string) => {
    cluster.sync();
    const result = await controller.reconcile(apiContext(cluster), key);
    cluster.sync();
    return result;
  };
  /** A claim the binder has addressed to `provisioner`. */
  const asked = (name: string, className: string, provisioner: string, more: Record<string, string> = {}) =>
    cluster.put(
      PERSISTENT_VOLUME_CLAIMS,
      claim(
        name,
        { storageClassName: className },
        { annotations: { [STORAGE_PROVISIONER_ANNOTATION]: provisioner, ...more } },
      ),
    );
  const pvNames = () => cluster.list(PERSISTENT_VOLUMES).map((o) => o.metadata.name);

  beforeEach(() => {
    cluster = new FakeCluster();
    clock = new FakeClock();
    disks = new FakeVolumeProvisioner([DISK, 'alicloud/disk']);
    nas = new FakeVolumeProvisioner([NAS], false);
    controller = new VolumeProvisioningReconciler([disks, nas], clock);
    controller.begin(apiContext(cluster));
    putClass(cluster, storageClass(ESSD, { mountOptions: ['noatime'] }));
    putClass(cluster, storageClass('alicloud-nas', { provisioner: NAS, reclaimPolicy: 'Retain' }));
  });

  it('provisions a volume for a claim and creates its PV pointing at the claim, once', async () => {
    asked('data', ESSD, DISK);
    await reconcile('claim:team/data');
    expect(disks.calls).toEqual(['provision data']);
    expect(disks.sizes.get('d-uid-data')).toBe(20 * GI);
    const pv = volumeIn(cluster, 'd-uid-data')!;
    expect(pv.metadata.annotations).toEqual({ [PROVISIONED_BY_ANNOTATION]: DISK });
    expect(pv.metadata.finalizers).toEqual([PROVISIONER_FINALIZER]);
    expect(pv.spec).toEqual({
      capacity: { storage: '20Gi' },
      accessModes: ['ReadWriteOnce'],
      csi: { driver: DISK, volumeHandle: 'd-uid-data', fsType: 'ext4' },
      claimRef: expect.objectContaining({
        kind: 'PersistentVolumeClaim',
        namespace: 'team',
        name: 'data',
        uid: 'uid-data',
      }),
      storageClassName: ESSD,
      persistentVolumeReclaimPolicy: 'Delete',
      mountOptions: ['noatime'],
    });
    expect(cluster.events).toEqual([
      'Normal Provisioning data: External provisioner is provisioning volume for claim "team/data"',
      'Normal ProvisioningSucceeded data: Successfully provisioned volume d-uid-data',
    ]);

    await reconcile('claim:team/data');
    expect(disks.calls).toEqual(['provision data']);
  });

  it('names the PV pvc-<claim uid> when the backend does not, and keeps no finalizer on a Retain volume', async () => {
    asked('share', 'alicloud-nas', NAS);
    await reconcile('claim:team/share');
    expect(pvNames()).toEqual(['pvc-uid-share']);
    expect(volumeIn(cluster, 'pvc-uid-share')?.metadata.finalizers).toBeUndefined();
    expect(volumeIn(cluster, 'pvc-uid-share')?.spec.persistentVolumeReclaimPolicy).toBe('Retain');
  });

  it('provisions a WaitForFirstConsumer claim only on the node the scheduler selected', async () => {
    putClass(cluster, storageClass('alicloud-disk-topology', { volumeBindingMode: 'WaitForFirstConsumer' }));
    asked('data', 'alicloud-disk-topology', DISK);
    await reconcile('claim:team/data');
    expect(disks.calls).toEqual([]);

    asked('data', 'alicloud-disk-topology', DISK, { [SELECTED_NODE_ANNOTATION]: 'virtual-node-cn-hangzhou-b' });
    await reconcile('claim:team/data');
    expect(disks.calls).toEqual(['provision data on virtual-node-cn-hangzhou-b']);
  });

  it('leaves claims addressed to other provisioners, and claims whose class changed provisioner', async () => {
    asked('other', ESSD, 'ebs.csi.aws.com');
    asked('moved', 'alicloud-nas', DISK);
    await reconcile('claim:team/other');
    await reconcile('claim:team/moved');
    expect([...disks.calls, ...nas.calls, ...pvNames()]).toEqual([]);
  });

  it('retries a transient failure with backoff, and an infeasible one only after a long delay', async () => {
    asked('busy', ESSD, DISK);
    disks.fail('provision', unavailable('the backend is busy'));
    await expect(reconcile('claim:team/busy')).rejects.toThrow('the backend is busy');
    await reconcile('claim:team/busy');
    expect(pvNames()).toEqual(['d-uid-busy']);

    asked('rwx', ESSD, DISK);
    disks.fail('provision', infeasible('disk volumes support only ReadWriteOnce access, not ReadWriteMany'));
    expect(await reconcile('claim:team/rwx')).toEqual({ requeueAfterMs: 300_000 });
    clock.ms += 60_000;
    expect(await reconcile('claim:team/rwx')).toEqual({ requeueAfterMs: 240_000 });
    expect(disks.calls.filter((c) => c.startsWith('provision rwx'))).toHaveLength(1);
    clock.ms += 240_000;
    await reconcile('claim:team/rwx');
    expect(pvNames()).toContain('d-uid-rwx');

    expect(cluster.events.filter((e) => e.startsWith('Warning'))).toEqual([
      'Warning ProvisioningFailed busy: failed to provision volume with StorageClass "alicloud-disk-essd": rpc error: code = Unavailable desc = the backend is busy',
      'Warning ProvisioningFailed rwx: Volume provisioning failed with infeasible error. Retries will be delayed. failed to provision volume with StorageClass "alicloud-disk-essd": rpc error: code = InvalidArgument desc = disk volumes support only ReadWriteOnce access, not ReadWriteMany',
    ]);
  });

  it('deletes a released volume it made: the backing volume, then the PV, then its finalizer', async () => {
    asked('data', ESSD, DISK);
    await reconcile('claim:team/data');
    const pv = volumeIn(cluster, 'd-uid-data')!;
    cluster.put(PERSISTENT_VOLUMES, { ...pv, status: { phase: 'Bound' } });
    await reconcile('volume:d-uid-data');
    expect(disks.sizes.has('d-uid-data')).toBe(true);

    cluster.put(PERSISTENT_VOLUMES, { ...pv, status: { phase: 'Released' } });
    disks.fail('delete', unavailable('the disk is still attached'));
    await expect(reconcile('volume:d-uid-data')).rejects.toThrow('the disk is still attached');
    expect(cluster.events).toContain(
      'Warning VolumeFailedDelete d-uid-data: rpc error: code = Unavailable desc = the disk is still attached',
    );
    expect(pvNames()).toEqual(['d-uid-data']);

    await reconcile('volume:d-uid-data');
    expect(disks.sizes.has('d-uid-data')).toBe(false);
    expect(pvNames()).toEqual([]);
    expect(cluster.writes.slice(-2)).toEqual([
      'delete d-uid-data',
      expect.stringMatching(/^patch d-uid-data \{"metadata":\{"finalizers":\[\],/),
    ]);
  });

  it('keeps its finalizer on bound Delete volumes it made, and drops it when the policy becomes Retain', async () => {
    const made = volume(
      'd-old',
      { persistentVolumeReclaimPolicy: 'Delete' },
      { annotations: { [PROVISIONED_BY_ANNOTATION]: 'alicloud/disk' } },
    );
    cluster.put(PERSISTENT_VOLUMES, { ...made, status: { phase: 'Bound' } });
    await reconcile('volume:d-old');
    expect(volumeIn(cluster, 'd-old')?.metadata.finalizers).toEqual([PROVISIONER_FINALIZER]);

    const retained = volumeIn(cluster, 'd-old')!;
    cluster.put(PERSISTENT_VOLUMES, {
      ...retained,
      spec: { ...retained.spec, persistentVolumeReclaimPolicy: 'Retain' },
      status: { phase: 'Released' },
    });
    await reconcile('volume:d-old');
    expect(volumeIn(cluster, 'd-old')?.metadata.finalizers).toEqual([]);
    expect(disks.calls).toEqual([]); // Retain: the disk stays
  });
});
