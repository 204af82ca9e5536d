import { PERSISTENT_VOLUME_CLAIMS, PODS } from '@skiff/controller-runtime';
import type { PersistentVolumeClaim, Pod, Volume } from '@skiff/kube-types';
import { FakeCluster } from '@skiff/testing';
import { claim } from './storage-cluster.fixture';
import { EphemeralVolumeReconciler } from './ephemeral-volume.reconciler';

function pod(volumes: Volume[], deleting = false): Pod {
  return {
    metadata: {
      namespace: 'team',
      name: 'app',
      uid: 'pod-uid',
      ...(deleting ? { deletionTimestamp: '2024-03-01T10:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'main', image: 'busybox' }], volumes },
  };
}

const owner = {
  apiVersion: 'v1',
  kind: 'Pod',
  name: 'app',
  uid: 'pod-uid',
  controller: true,
  blockOwnerDeletion: true,
};

describe(EphemeralVolumeReconciler.name, () => {
  let cluster: FakeCluster;
  let controller: EphemeralVolumeReconciler;
  const reconcile = async () => {
    cluster.sync();
    await controller.reconcile(cluster.ctx, 'team/app');
    cluster.sync();
  };
  const claimIn = (name: string) => cluster.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS, 'team', name);

  beforeEach(() => {
    cluster = new FakeCluster();
    controller = new EphemeralVolumeReconciler();
    controller.begin(cluster.ctx);
  });

  it("makes a generic ephemeral volume's claim from its template, owned by the pod, once", async () => {
    const spec: PersistentVolumeClaim['spec'] = {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    };
    cluster.put(
      PODS,
      pod([{ name: 'scratch', ephemeral: { volumeClaimTemplate: { metadata: { labels: { a: 'b' } }, spec } } }]),
    );
    await reconcile();
    await reconcile();
    const made = claimIn('app-scratch');
    expect(made?.metadata.ownerReferences).toEqual([owner]);
    expect(made?.metadata.labels).toEqual({ a: 'b' });
    expect(made?.spec).toEqual(spec);
    expect(cluster.writes).toEqual(['create app-scratch']);
  });

  it("makes ASK's dynamic flexvolume disk a ReadWriteOnce claim of its volumeType, a bare size in GiB", async () => {
    const flex = (options: Record<string, string>): Volume => ({
      name: 'disk',
      flexVolume: { driver: 'alicloud/disk', fsType: 'ext4', options },
    });
    cluster.put(PODS, pod([flex({ volumeType: 'alicloud-disk-ssd', volumeSize: '20' })]));
    await reconcile();
    expect(claimIn('app-disk')?.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: 'alicloud-disk-ssd',
    });
    cluster.remove(PERSISTENT_VOLUME_CLAIMS, 'team', 'app-disk');
    cluster.put(PODS, pod([flex({ volumeSize: '5Gi' })]));
    await reconcile();
    expect(claimIn('app-disk')?.spec.storageClassName).toBeUndefined(); // the default class, given by the API server
    expect(claimIn('app-disk')?.spec.resources?.requests?.storage).toBe('5Gi');
  });

  it('leaves static disks, claims of that name it does not own, and pods being deleted alone', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('app-disk'));
    cluster.put(
      PODS,
      pod([
        { name: 'disk', flexVolume: { driver: 'alicloud/disk', options: { volumeSize: '20' } } },
        { name: 'static', flexVolume: { driver: 'alicloud/disk', options: { volumeId: 'd-1' } } },
      ]),
    );
    await reconcile();
    expect(cluster.writes).toEqual([]);
    cluster.remove(PERSISTENT_VOLUME_CLAIMS, 'team', 'app-disk');
    cluster.put(
      PODS,
      pod([{ name: 'disk', flexVolume: { driver: 'alicloud/disk', options: { volumeSize: '20' } } }], true),
    );
    await reconcile();
    expect(cluster.writes).toEqual([]);
  });
});
