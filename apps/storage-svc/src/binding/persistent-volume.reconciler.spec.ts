import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, PODS } from '@skiff/controller-runtime';
import type { Pod } from '@skiff/kube-types';
import { FakeCluster } from '@skiff/testing';
import { PersistentVolumeReconciler } from './persistent-volume.reconciler';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  DEFAULT_CLASS_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
} from './storage-annotations';
import { apiContext, claim, claimIn, putClass, storageClass, volume, volumeIn } from './storage-cluster.fixture';

const ESSD = 'alicloud-disk-essd';
const DISK = 'diskplugin.csi.alibabacloud.com';
const BOUND_BY_US = { [BIND_COMPLETED_ANNOTATION]: 'yes', [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' };

describe(PersistentVolumeReconciler.name, () => {
  let cluster: FakeCluster;
  let controller: PersistentVolumeReconciler;

  /** Reconciles what was enqueued until nothing more is, a key once while it waits (as the work queue does). */
  const settle = async (...keys: string[]) => {
    cluster.enqueued.push(...keys);
    for (let i = 0; cluster.enqueued.length > 0; i++) {
      if (i > 50) throw new Error('did not settle');
      const next = cluster.enqueued.shift()!;
      cluster.enqueued.splice(0, cluster.enqueued.length, ...cluster.enqueued.filter((k) => k !== next));
      cluster.sync();
      await controller.reconcile(apiContext(cluster), next);
      cluster.sync();
    }
  };
  const events = () => [...new Set(cluster.events)];
  const pvc = (name: string) => claimIn(cluster, name)!;
  const pv = (name: string) => volumeIn(cluster, name)!;

  beforeEach(() => {
    cluster = new FakeCluster();
    controller = new PersistentVolumeReconciler();
    controller.begin(apiContext(cluster));
  });

  it('binds a claim to the smallest Available volume that fits, among those with the fewest access modes', async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-10g', { capacity: { storage: '10Gi' } }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-100g', { capacity: { storage: '100Gi' } }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-50g', { capacity: { storage: '50Gi' } }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-rwx', { accessModes: ['ReadWriteOnce', 'ReadWriteMany'] }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-classy', { storageClassName: 'slow' }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-block', { volumeMode: 'Block' }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-taken', { claimRef: { namespace: 'team', name: 'other' } }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: '' }));
    await settle('claim:team/data');

    expect(pvc('data').spec.volumeName).toBe('pv-50g');
    expect(pvc('data').metadata.annotations).toEqual(BOUND_BY_US);
    expect(pvc('data').status).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '50Gi' },
    });
    expect(pv('pv-50g').spec.claimRef).toEqual({
      kind: 'PersistentVolumeClaim',
      namespace: 'team',
      name: 'data',
      uid: 'uid-data',
      apiVersion: 'v1',
      resourceVersion: expect.any(String),
    });
    expect(pv('pv-50g').metadata.annotations).toEqual({ [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' });
    expect(pv('pv-50g').status?.phase).toBe('Bound');

    // Again, and through the volume's key: nothing left to do.
    const writes = cluster.writes.length;
    await settle('claim:team/data', 'volume:pv-50g');
    expect(cluster.writes.length).toBe(writes);
  });

  it("honours the claim's selector", async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-plain'));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-gold', { capacity: { storage: '40Gi' } }, { labels: { tier: 'gold' } }));
    cluster.put(
      PERSISTENT_VOLUME_CLAIMS,
      claim('data', { storageClassName: '', selector: { matchLabels: { tier: 'gold' } } }),
    );
    await settle('claim:team/data');
    expect(pvc('data').spec.volumeName).toBe('pv-gold');
  });

  it("leaves a classless claim Pending with upstream's event when nothing fits, and binds it once a volume is free", async () => {
    cluster.put(
      PERSISTENT_VOLUME_CLAIMS,
      claim('data', { storageClassName: '', resources: { requests: { storage: '1Ti' } } }),
    );
    await settle('claim:team/data');
    expect(pvc('data').status).toEqual({ phase: 'Pending' });
    expect(events()).toEqual([
      'Normal FailedBinding data: no persistent volumes available for this claim and no storage class is set',
    ]);

    cluster.put(PERSISTENT_VOLUMES, volume('pv-big', { capacity: { storage: '2Ti' } }));
    cluster.sync(); // the new volume's event enqueues the pending claims
    await settle();
    expect(pvc('data').status?.phase).toBe('Bound');
  });

  it('binds a claim that names its volume, and says why when it cannot', async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-mine'));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-tiny', { capacity: { storage: '1Gi' } }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('wants-mine', { storageClassName: '', volumeName: 'pv-mine' }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('wants-tiny', { storageClassName: '', volumeName: 'pv-tiny' }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('wants-later', { storageClassName: '', volumeName: 'pv-later' }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('wants-taken', { storageClassName: '', volumeName: 'pv-mine' }));
    await settle('claim:team/wants-mine', 'claim:team/wants-tiny', 'claim:team/wants-later', 'claim:team/wants-taken');

    // The user chose the volume: the claim says bind-completed only, the volume that the controller bound it.
    expect(pvc('wants-mine').metadata.annotations).toEqual({ [BIND_COMPLETED_ANNOTATION]: 'yes' });
    expect(pvc('wants-mine').status?.phase).toBe('Bound');
    expect(pv('pv-mine').metadata.annotations).toEqual({ [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' });
    for (const name of ['wants-tiny', 'wants-later', 'wants-taken']) expect(pvc(name).status?.phase).toBe('Pending');
    expect(pv('pv-tiny').spec.claimRef).toBeUndefined();
    expect(events()).toEqual([
      'Warning VolumeMismatch wants-tiny: Cannot bind to requested volume "pv-tiny": requested PV is too small',
      'Warning FailedBinding wants-taken: volume "pv-mine" already bound to a different claim.',
    ]);
  });

  it('binds a volume pre-bound to a claim to that claim, even over a smaller fit', async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-fit'));
    cluster.put(
      PERSISTENT_VOLUMES,
      volume('pv-reserved', { capacity: { storage: '80Gi' }, claimRef: { namespace: 'team', name: 'data' } }),
    );
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: '' }));
    await settle('volume:pv-reserved', 'claim:team/data');
    expect(pvc('data').spec.volumeName).toBe('pv-reserved');
    expect(pvc('data').metadata.annotations).toEqual(BOUND_BY_US);
    expect(pv('pv-reserved').metadata.annotations).toBeUndefined(); // the user's binding stays the user's
    expect(pv('pv-reserved').spec.claimRef?.uid).toBe('uid-data');
    expect(pv('pv-fit').status?.phase).toBe('Available');
  });

  it('gives a claim without storageClassName the default class, not one that asks for no class', async () => {
    putClass(cluster, storageClass('alicloud-disk-ssd'));
    putClass(
      cluster,
      storageClass(ESSD, { metadata: { name: ESSD, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } }),
    );
    const { storageClassName: _, ...unset } = claim('any').spec;
    cluster.put(PERSISTENT_VOLUME_CLAIMS, { ...claim('any'), spec: unset });
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('none', { storageClassName: '' }));
    await settle('claim:team/any', 'claim:team/none');
    expect(pvc('any').spec.storageClassName).toBe(ESSD);
    expect(pvc('none').spec.storageClassName).toBe('');
  });

  it('asks the provisioner of the class, then binds the volume it creates', async () => {
    putClass(cluster, storageClass(ESSD));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: ESSD }));
    await settle('claim:team/data');
    expect(pvc('data').metadata.annotations).toEqual({
      [STORAGE_PROVISIONER_ANNOTATION]: DISK,
      [BETA_STORAGE_PROVISIONER_ANNOTATION]: DISK,
    });
    expect(events()).toEqual([
      `Normal ExternalProvisioning data: Waiting for a volume to be created either by the external provisioner '${DISK}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    ]);

    // What the provisioner creates: pointing at the claim, with the claim's uid.
    const claimRef = { kind: 'PersistentVolumeClaim', namespace: 'team', name: 'data', uid: 'uid-data' };
    const made = volume('d-1', { storageClassName: ESSD, claimRef, persistentVolumeReclaimPolicy: 'Delete' });
    cluster.put(PERSISTENT_VOLUMES, {
      ...made,
      metadata: { name: 'd-1', annotations: { [PROVISIONED_BY_ANNOTATION]: DISK } },
    });
    cluster.sync();
    await settle();
    expect(pvc('data').spec.volumeName).toBe('d-1');
    expect(pvc('data').metadata.annotations).toMatchObject(BOUND_BY_US);
    expect(pv('d-1').status?.phase).toBe('Bound');
    expect(pv('d-1').metadata.annotations).toEqual({ [PROVISIONED_BY_ANNOTATION]: DISK });
  });

  it('waits for the first consumer of a WaitForFirstConsumer claim, then for its pod, then asks for a volume', async () => {
    putClass(cluster, storageClass('alicloud-disk-topology', { volumeBindingMode: 'WaitForFirstConsumer' }));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-static', { storageClassName: 'alicloud-disk-topology' }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: 'alicloud-disk-topology' }));
    await settle('claim:team/data');
    expect(pvc('data').spec.volumeName).toBeUndefined(); // not even the Available volume: the node decides
    expect(pvc('data').metadata.annotations).toBeUndefined();

    const pod: Pod = {
      metadata: { namespace: 'team', name: 'app' },
      spec: {
        containers: [{ name: 'main', image: 'busybox' }],
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
      },
    };
    cluster.put(PODS, pod);
    await settle('claim:team/data');

    const selected = {
      ...pvc('data').metadata,
      annotations: { [SELECTED_NODE_ANNOTATION]: 'virtual-node-cn-hangzhou-a' },
    };
    cluster.put(PERSISTENT_VOLUME_CLAIMS, { ...pvc('data'), metadata: selected });
    await settle('claim:team/data');
    expect(pvc('data').metadata.annotations).toMatchObject({ [STORAGE_PROVISIONER_ANNOTATION]: DISK });
    expect(events().map((e) => e.split(':')[0])).toEqual([
      'Normal WaitForFirstConsumer data',
      'Normal WaitForPodScheduled data',
      'Normal ExternalProvisioning data',
    ]);
    expect(events().slice(0, 2)).toEqual([
      'Normal WaitForFirstConsumer data: waiting for first consumer to be created before binding',
      'Normal WaitForPodScheduled data: waiting for pod app to be scheduled',
    ]);
  });

  it('reports a class that does not exist', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { storageClassName: 'gold' }));
    await settle('claim:team/data');
    expect(events()).toEqual(['Warning ProvisioningFailed data: storageclass.storage.k8s.io "gold" not found']);
    expect(pvc('data').status?.phase).toBe('Pending');
  });

  it('marks a bound claim Lost when its volume goes, or when the volume is bound to another claim', async () => {
    cluster.put(PERSISTENT_VOLUMES, volume('pv-a'));
    cluster.put(PERSISTENT_VOLUMES, volume('pv-b'));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('a', { storageClassName: '', volumeName: 'pv-a' }));
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('b', { storageClassName: '', volumeName: 'pv-b' }));
    await settle('claim:team/a', 'claim:team/b');

    cluster.remove(PERSISTENT_VOLUMES, undefined, 'pv-a');
    const stolen = { ...pv('pv-b').spec.claimRef, name: 'c', uid: 'uid-c' };
    cluster.put(PERSISTENT_VOLUMES, { ...pv('pv-b'), spec: { ...pv('pv-b').spec, claimRef: stolen } });
    await settle('claim:team/a', 'claim:team/b');
    expect(pvc('a').status).toEqual({ phase: 'Lost' });
    expect(pvc('b').status).toEqual({ phase: 'Lost' });
    expect(events()).toEqual([
      'Warning ClaimLost a: Bound claim has lost its PersistentVolume. Data on the volume is lost!',
      'Warning ClaimMisbound b: Two claims are bound to the same volume, this one is bound incorrectly',
    ]);
  });
});
