import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, PODS, VOLUME_ATTACHMENTS } from '@skiff/controller-runtime';
import type { Pod, Volume, VolumeAttachment } from '@skiff/kube-types';
import { SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { DISK_ID_ANNOTATION, volumeAttachmentName } from '@skiff/messaging';
import { FakeCluster } from '@skiff/testing';
import { claim, volume } from '../binding/storage-cluster.fixture';
import { AttachDetachReconciler } from './attach-detach.reconciler';

const NODE = 'virtual-kubelet-zone-a';
const DISK = 'd-0123456789abcdef0123';
const claimVolume: Volume = { name: 'data', persistentVolumeClaim: { claimName: 'data' } };

function pod(name: string, host: string, extra: { volumes?: Volume[]; created?: string; phase?: string } = {}): Pod {
  return {
    metadata: {
      namespace: 'team',
      name,
      creationTimestamp: extra.created ?? '2024-03-01T10:00:00Z',
      annotations: { [SANDBOX_HOST_ANNOTATION]: host },
    },
    spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox' }], volumes: extra.volumes ?? [claimVolume] },
    status: { phase: (extra.phase ?? 'Running') as 'Running' },
  };
}

describe(AttachDetachReconciler.name, () => {
  let cluster: FakeCluster;
  let controller: AttachDetachReconciler;
  let forceDetachAfterMs: number;

  const reconcile = async (key = DISK) => {
    cluster.sync();
    const result = await controller.reconcile(cluster.ctx, key);
    cluster.sync();
    return result;
  };
  const attachment = (host: string) =>
    cluster.get<VolumeAttachment>(VOLUME_ATTACHMENTS, undefined, volumeAttachmentName(DISK, host));

  beforeEach(() => {
    cluster = new FakeCluster();
    forceDetachAfterMs = 60_000;
    controller = new AttachDetachReconciler({
      get forceDetachAfterMs() {
        return forceDetachAfterMs;
      },
    });
    controller.begin(cluster.ctx);
    cluster.put(
      PERSISTENT_VOLUMES,
      volume(DISK, { csi: { driver: 'diskplugin.csi.alibabacloud.com', volumeHandle: DISK } }),
    );
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { volumeName: DISK }, {}));
  });

  it('attaches a claimed disk to the host of its pod, as an attached VolumeAttachment naming the PV', async () => {
    cluster.put(PODS, pod('app', 'h1'));
    cluster.sync();
    expect(cluster.enqueued).toContain(DISK);
    await reconcile();
    const va = attachment('h1');
    expect(va?.spec).toEqual({
      attacher: 'diskplugin.csi.alibabacloud.com',
      nodeName: NODE,
      source: { persistentVolumeName: DISK },
    });
    expect(va?.metadata.annotations).toEqual({ [DISK_ID_ANNOTATION]: DISK, [SANDBOX_HOST_ANNOTATION]: 'h1' });
    expect(va?.status?.attached).toBe(true);
    await reconcile();
    expect(cluster.writes.filter((w) => w.startsWith('create'))).toHaveLength(1);
  });

  it('attaches an inline flexVolume disk by its volumeId, with an inline volume spec', async () => {
    const flex: Volume = {
      name: 'disk',
      flexVolume: { driver: 'alicloud/disk', fsType: 'xfs', options: { volumeId: DISK } },
    };
    cluster.put(PODS, pod('app', 'h1', { volumes: [flex] }));
    await reconcile();
    expect(attachment('h1')?.spec.source).toEqual({
      inlineVolumeSpec: {
        accessModes: ['ReadWriteOnce'],
        csi: { driver: 'diskplugin.csi.alibabacloud.com', volumeHandle: DISK, fsType: 'xfs' },
      },
    });
  });

  it('keeps a second host waiting with upstream’s Multi-Attach error, naming only pods of its namespace', async () => {
    cluster.put(PODS, pod('first', 'h1', { created: '2024-03-01T10:00:00Z' }));
    cluster.put(PODS, pod('second', 'h2', { created: '2024-03-01T10:00:05Z' }));
    await reconcile();
    expect(attachment('h1')).toBeDefined();
    expect(attachment('h2')).toBeUndefined();
    expect(cluster.events).toEqual([
      'Warning FailedAttachVolume second: Multi-Attach error for volume "d-0123456789abcdef0123" Volume is already used by pod(s) first',
    ]);
  });

  it('does not count finished or shut-down pods, and leaves the detach to the host’s agent until the timeout', async () => {
    cluster.put(PODS, pod('first', 'h1'));
    await reconcile();
    cluster.put(PODS, pod('first', 'h1', { phase: 'Succeeded' }));
    cluster.put(PODS, pod('second', 'h2'));
    const result = await reconcile();
    expect(attachment('h1')).toBeDefined(); // the agent on h1 lets go once it has detached
    expect(result).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(cluster.events.at(-1)).toBe(
      'Warning FailedAttachVolume second: Multi-Attach error for volume "d-0123456789abcdef0123" Volume is already exclusively attached to one node and can\'t be attached to another',
    );

    cluster.remove(VOLUME_ATTACHMENTS, undefined, volumeAttachmentName(DISK, 'h1')); // h1's agent detached
    await reconcile();
    expect(attachment('h2')?.status?.attached).toBe(true);
  });

  it('detaches by force from a host that has not let go for forceDetachAfterMs, then attaches elsewhere', async () => {
    forceDetachAfterMs = 0;
    cluster.put(PODS, pod('first', 'h1'));
    await reconcile();
    cluster.remove(PODS, 'team', 'first');
    cluster.put(PODS, pod('second', 'h2'));
    await reconcile();
    expect(attachment('h1')).toBeUndefined();
    await reconcile();
    expect(attachment('h2')?.status?.attached).toBe(true);
  });

  it('does not attach a disk again for a pod being deleted (its agent has let go already)', async () => {
    const going = pod('app', 'h1');
    going.metadata.deletionTimestamp = '2024-03-01T10:05:00Z';
    going.metadata.deletionGracePeriodSeconds = 30;
    cluster.put(PODS, going);
    await reconcile();
    expect(cluster.list(VOLUME_ATTACHMENTS)).toEqual([]);
  });

  it('counts pods of other namespaces without naming them', async () => {
    cluster.put(PODS, pod('first', 'h1'));
    await reconcile();
    const other = pod('second', 'h2');
    other.metadata.namespace = 'elsewhere';
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data', { volumeName: DISK }, { namespace: 'elsewhere' }));
    cluster.put(PODS, other);
    await reconcile();
    expect(cluster.events.at(-1)).toContain('Volume is already used by 1 pod(s) in different namespaces');
  });

  it("attaches the disk of a pod's own claim (a dynamic flexvolume disk)", async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('app-disk', { volumeName: DISK }, {}));
    const dynamic: Volume = {
      name: 'disk',
      flexVolume: {
        driver: 'alicloud/disk',
        fsType: 'ext4',
        options: { volumeType: 'alicloud-disk-ssd', volumeSize: '1' },
      },
    };
    cluster.put(PODS, pod('app', 'h1', { volumes: [dynamic] }));
    await reconcile();
    expect(attachment('h1')?.spec.source).toEqual({ persistentVolumeName: DISK });
  });

  it('ignores pods whose claim is not bound to a disk', async () => {
    cluster.put(PERSISTENT_VOLUME_CLAIMS, claim('data'));
    cluster.put(PODS, pod('app', 'h1'));
    await reconcile();
    expect(cluster.list(VOLUME_ATTACHMENTS)).toEqual([]);
  });
});
