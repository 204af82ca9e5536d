import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES } from '@skiff/controller-runtime';
import type { PersistentVolumeClaim } from '@skiff/kube-types';
import { FakeClock, FakeCluster } from '@skiff/testing';
import { BIND_COMPLETED_ANNOTATION, PROVISIONED_BY_ANNOTATION } from './storage-annotations';
import {
  apiContext,
  claim,
  claimIn,
  FakeVolumeProvisioner,
  GI,
  putClass,
  storageClass,
  unavailable,
  volume,
  volumeIn,
} from './storage-cluster.fixture';
import { VolumeExpansionReconciler } from './volume-expansion.reconciler';
import { ProvisioningError } from './provisioning.error';

const DISK = 'diskplugin.csi.alibabacloud.com';
const ESSD = 'alicloud-disk-essd';
const PENDING = {
  type: 'FileSystemResizePending',
  status: 'True',
  lastTransitionTime: '2024-03-01T10:00:00Z',
  message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.',
};

describe(VolumeExpansionReconciler.name, () => {
  let cluster: FakeCluster;
  let disks: FakeVolumeProvisioner;
  let controller: VolumeExpansionReconciler;

  const reconcile = async (key = 'team/data') => {
    cluster.sync();
    await controller.reconcile(apiContext(cluster), key);
    cluster.sync();
  };
  const pvc = () => claimIn(cluster, 'data')!;
  /** A bound claim of `className` on disk d-1 (provisioned by `provisionedBy`, if any), both at 20Gi, asking for `size`. */
  const boundClaim = (className: string, size: string, provisionedBy = DISK) => {
    const claimRef = { kind: 'PersistentVolumeClaim', namespace: 'team', name: 'data', uid: 'uid-data' };
    const annotations = provisionedBy ? { [PROVISIONED_BY_ANNOTATION]: provisionedBy } : undefined;
    const csi = { driver: DISK, volumeHandle: 'd-1' };
    const pv = volume('d-1', { claimRef, csi, nfs: undefined, storageClassName: className }, { annotations });
    cluster.put(PERSISTENT_VOLUMES, { ...pv, status: { phase: 'Bound' } });
    const c = claim(
      'data',
      { storageClassName: className, volumeName: 'd-1', resources: { requests: { storage: size } } },
      { annotations: { [BIND_COMPLETED_ANNOTATION]: 'yes' } },
    );
    cluster.put(PERSISTENT_VOLUME_CLAIMS, {
      ...c,
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '20Gi' } },
    });
  };
  const resizeWarnings = () => [...new Set(cluster.events.filter((e) => e.startsWith('Warning')))];

  beforeEach(() => {
    cluster = new FakeCluster();
    disks = new FakeVolumeProvisioner([DISK]);
    controller = new VolumeExpansionReconciler([disks], new FakeClock());
    controller.begin(apiContext(cluster));
    putClass(cluster, storageClass(ESSD, { allowVolumeExpansion: true }));
  });

  it('grows the backing volume and the PV, and leaves the filesystem to the agent', async () => {
    boundClaim(ESSD, '50Gi');
    await reconcile();
    expect(disks.calls).toEqual([`expand d-1 to ${50 * GI}`]);
    expect(volumeIn(cluster, 'd-1')?.spec.capacity).toEqual({ storage: '50Gi' });
    expect(pvc().status).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '20Gi' }, // until the filesystem has grown
      conditions: [PENDING],
    });
    expect(cluster.events).toEqual([
      'Normal Resizing data: External resizer is resizing volume d-1',
      'Normal FileSystemResizeRequired data: Require file system resize of volume on node',
    ]);
    await reconcile();
    expect(disks.calls).toHaveLength(1);

    // The agent grew the filesystem: it reports the new capacity and drops the condition; nothing more to do.
    const done: PersistentVolumeClaim = {
      ...pvc(),
      status: { ...pvc().status, capacity: { storage: '50Gi' }, conditions: [] },
    };
    cluster.put(PERSISTENT_VOLUME_CLAIMS, done);
    const writes = cluster.writes.length;
    await reconcile();
    expect(cluster.writes.length).toBe(writes);
  });

  it('refuses a class that does not allow expansion, once per requested size', async () => {
    putClass(cluster, storageClass('fixed'));
    boundClaim('fixed', '50Gi');
    await reconcile();
    await reconcile();
    expect(disks.calls).toEqual([]);
    expect(cluster.events).toEqual([
      'Warning VolumeResizeFailed data: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    ]);
  });

  it('retries a transient failure, and a refused size only when the user asks for another', async () => {
    boundClaim(ESSD, '50Gi');
    disks.fail('expand', unavailable('the disk is busy'));
    await expect(reconcile()).rejects.toThrow('the disk is busy');
    expect(pvc().status?.conditions?.map((c) => c.type)).toEqual(['Resizing']);
    await reconcile();
    expect(volumeIn(cluster, 'd-1')?.spec.capacity).toEqual({ storage: '50Gi' });

    boundClaim(ESSD, '64Ti');
    disks.fail('expand', new ProvisioningError('OutOfRange', 'a disk holds at most 32768 GiB'));
    await reconcile();
    await reconcile();
    boundClaim(ESSD, '100Gi');
    await reconcile();
    expect(disks.calls).toEqual([
      `expand d-1 to ${50 * GI}`,
      `expand d-1 to ${50 * GI}`,
      `expand d-1 to ${64 * 1024 * GI}`,
      `expand d-1 to ${100 * GI}`,
    ]);
    expect(resizeWarnings()).toEqual([
      'Warning VolumeResizeFailed data: resize volume "d-1" by resizer "diskplugin.csi.alibabacloud.com" failed: rpc error: code = Unavailable desc = the disk is busy',
      'Warning VolumeResizeFailed data: resize volume "d-1" by resizer "diskplugin.csi.alibabacloud.com" failed: rpc error: code = OutOfRange desc = a disk holds at most 32768 GiB',
    ]);
  });

  it('marks the filesystem resize pending when the volume has already grown', async () => {
    boundClaim(ESSD, '50Gi');
    const pv = volumeIn(cluster, 'd-1')!;
    cluster.put(PERSISTENT_VOLUMES, { ...pv, spec: { ...pv.spec, capacity: { storage: '50Gi' } } });
    await reconcile();
    expect(disks.calls).toEqual([]);
    expect(pvc().status?.conditions).toEqual([PENDING]);
  });

  it('leaves volumes no backend here made', async () => {
    boundClaim(ESSD, '50Gi', ''); // a static volume
    await reconcile();
    expect(disks.calls).toEqual([]);
    expect(pvc().status?.conditions).toBeUndefined();
  });
});
