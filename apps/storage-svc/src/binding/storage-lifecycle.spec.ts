import { Controller, PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, PODS } from '@skiff/controller-runtime';
import type { PersistentVolumeClaim, Pod } from '@skiff/kube-types';
import { FakeClock, FakeCluster } from '@skiff/testing';
import { PersistentVolumeReconciler } from './persistent-volume.reconciler';
import { PvProtectionReconciler } from './pv-protection.reconciler';
import { PvcProtectionReconciler } from './pvc-protection.reconciler';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  DEFAULT_CLASS_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  PROVISIONER_FINALIZER,
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
} from './storage-annotations';
import {
  apiContext,
  claim,
  claimIn,
  deleteAsApiServer,
  FakeVolumeProvisioner,
  GI,
  putClass,
  storageClass,
  volume,
  volumeIn,
} from './storage-cluster.fixture';
import { VolumeExpansionReconciler } from './volume-expansion.reconciler';
import { VolumeProvisioningReconciler } from './volume-provisioning.reconciler';

const DISK = 'diskplugin.csi.alibabacloud.com';
const ESSD = 'alicloud-disk-essd';
const NODE = 'virtual-node-cn-hangzhou-a';

/** All the storage controllers on one cluster, as storage-svc runs them, from a user's point of view. */
describe('storage controllers together', () => {
  let cluster: FakeCluster;
  let disks: FakeVolumeProvisioner;
  let controllers: { controller: Controller; keys: () => string[] }[];

  /** Reconciles every object with every controller until a whole round writes nothing (a resync, repeated). */
  const converge = async () => {
    for (let round = 0; round < 20; round++) {
      const writes = cluster.writes.length;
      for (const { controller, keys } of controllers) {
        for (const key of keys()) {
          cluster.sync();
          await controller.reconcile(apiContext(cluster), key);
        }
      }
      cluster.sync();
      if (cluster.writes.length === writes) return;
    }
    throw new Error('did not converge');
  };
  const claimKeys = () => cluster.list(PERSISTENT_VOLUME_CLAIMS).map((c) => `team/${c.metadata.name}`);
  const volumeKeys = () => cluster.list(PERSISTENT_VOLUMES).map((v) => v.metadata.name!);
  const both = () => [...claimKeys().map((k) => `claim:${k}`), ...volumeKeys().map((k) => `volume:${k}`)];
  const events = () => [...new Set(cluster.events)];
  const pvc = (name = 'data') => claimIn(cluster, name)!;
  const runningPod = (phase: NonNullable<Pod['status']>['phase'] = 'Running'): Pod => ({
    metadata: { namespace: 'team', name: 'app' },
    spec: {
      containers: [{ name: 'main', image: 'busybox' }],
      volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
      nodeName: NODE,
    },
    status: { phase },
  });

  beforeEach(() => {
    cluster = new FakeCluster();
    disks = new FakeVolumeProvisioner([DISK, 'alicloud/disk']);
    const clock = new FakeClock();
    controllers = [
      { controller: new PersistentVolumeReconciler(), keys: both },
      { controller: new VolumeProvisioningReconciler([disks], clock), keys: both },
      { controller: new VolumeExpansionReconciler([disks], clock), keys: claimKeys },
      { controller: new PvcProtectionReconciler(), keys: claimKeys },
      { controller: new PvProtectionReconciler(), keys: volumeKeys },
    ];
    for (const { controller } of controllers) controller.begin(apiContext(cluster));
    const isDefault = { [DEFAULT_CLASS_ANNOTATION]: 'true' };
    putClass(
      cluster,
      storageClass(ESSD, { metadata: { name: ESSD, annotations: isDefault }, allowVolumeExpansion: true }),
    );
  });

  it('provisions, binds, expands, protects and finally deletes a disk', async () => {
    const { storageClassName: _, ...noClass } = claim('data').spec;
    cluster.put(PERSISTENT_VOLUME_CLAIMS, { ...claim('data'), spec: noClass });
    await converge();

    const name = 'd-uid-data';
    expect(pvc().spec).toMatchObject({ storageClassName: ESSD, volumeName: name });
    expect(pvc().metadata.annotations).toEqual({
      [STORAGE_PROVISIONER_ANNOTATION]: DISK,
      [BETA_STORAGE_PROVISIONER_ANNOTATION]: DISK,
      [BIND_COMPLETED_ANNOTATION]: 'yes',
      [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes',
    });
    expect(pvc().metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
    expect(pvc().status).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '20Gi' } });
    const pv = volumeIn(cluster, name)!;
    expect(pv.metadata.annotations).toEqual({ [PROVISIONED_BY_ANNOTATION]: DISK });
    expect(pv.metadata.finalizers?.sort()).toEqual([PROVISIONER_FINALIZER, PV_PROTECTION_FINALIZER].sort());
    expect(pv.status?.phase).toBe('Bound');
    expect(events()).toEqual([
      `Normal ExternalProvisioning data: Waiting for a volume to be created either by the external provisioner '${DISK}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      'Normal Provisioning data: External provisioner is provisioning volume for claim "team/data"',
      `Normal ProvisioningSucceeded data: Successfully provisioned volume ${name}`,
    ]);

    // A pod uses it; the user asks for 30Gi.
    cluster.put(PODS, runningPod());
    cluster.put(PERSISTENT_VOLUME_CLAIMS, {
      ...pvc(),
      spec: { ...pvc().spec, resources: { requests: { storage: '30Gi' } } },
    });
    await converge();
    expect(disks.sizes.get(name)).toBe(30 * GI);
    expect(volumeIn(cluster, name)?.spec.capacity).toEqual({ storage: '30Gi' });
    expect(pvc().status?.conditions?.map((c) => c.type)).toEqual(['FileSystemResizePending']);
    // The agent grows the filesystem and reports it.
    const grown: PersistentVolumeClaim = {
      ...pvc(),
      status: { ...pvc().status, capacity: { storage: '30Gi' }, conditions: [] },
    };
    cluster.put(PERSISTENT_VOLUME_CLAIMS, grown);
    await converge();

    // Deleted while the pod runs: kept, still Bound.
    deleteAsApiServer(cluster, PERSISTENT_VOLUME_CLAIMS, 'team', 'data');
    await converge();
    expect(pvc().metadata.deletionTimestamp).toBeDefined();
    expect(volumeIn(cluster, name)?.status?.phase).toBe('Bound');

    // The pod finishes: the claim goes, the volume is released and deleted with its disk.
    cluster.put(PODS, runningPod('Succeeded'));
    await converge();
    expect(claimIn(cluster, 'data')).toBeUndefined();
    expect(volumeIn(cluster, name)).toBeUndefined();
    expect(disks.sizes.size).toBe(0);
    expect(disks.calls).toEqual(['provision data', `expand ${name} to ${30 * GI}`, `delete ${name}`]);
  });

  it('binds a static NAS volume to a claim of no class and keeps it Released (Retain) after the claim', async () => {
    cluster.put(PERSISTENT_VOLUMES, {
      ...volume('nas-share', { accessModes: ['ReadWriteMany'] }),
      status: { phase: 'Pending' },
    });
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: '', accessModes: ['ReadWriteMany'] }));
    await converge();
    expect(pvc().spec.volumeName).toBe('nas-share');

    deleteAsApiServer(cluster, PERSISTENT_VOLUME_CLAIMS, 'team', 'data');
    await converge();
    expect(claimIn(cluster, 'data')).toBeUndefined();
    expect(volumeIn(cluster, 'nas-share')?.status?.phase).toBe('Released');

    // An admin deletes it: no longer bound, so pv-protection lets it go.
    deleteAsApiServer(cluster, PERSISTENT_VOLUMES, undefined, 'nas-share');
    await converge();
    expect(volumeIn(cluster, 'nas-share')).toBeUndefined();
  });

  it('provisions a WaitForFirstConsumer claim on the node the scheduler selects', async () => {
    putClass(cluster, storageClass('alicloud-disk-topology', { volumeBindingMode: 'WaitForFirstConsumer' }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: 'alicloud-disk-topology' }));
    await converge();
    expect(pvc().status?.phase).toBe('Pending');
    expect(disks.calls).toEqual([]);

    const annotations = { ...pvc().metadata.annotations, [SELECTED_NODE_ANNOTATION]: NODE };
    cluster.put(PERSISTENT_VOLUME_CLAIMS, { ...pvc(), metadata: { ...pvc().metadata, annotations } });
    await converge();
    expect(disks.calls).toEqual([`provision data on ${NODE}`]);
    expect(pvc().status?.phase).toBe('Bound');
  });
});
