import { ignoreNotFound, isConflict, isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import type { VolumeAttachment } from '@skiff/kube-types';
import { volumeAttachmentName } from '@skiff/messaging';

/** Which disks this host may attach: storage-svc's VolumeAttachments, one host per disk (ReadWriteOnce). */
export interface DiskAttachments {
  /** storage-svc has attached the disk to this host (the CSI attacher's WaitForAttach). */
  granted(diskId: string): Promise<boolean>;
  /** The disk is detached here: its VolumeAttachment goes, so another host may have it. */
  released(diskId: string): Promise<void>;
}

/** DiskAttachments read and deleted through the Kubernetes API. */
export class ApiDiskAttachments implements DiskAttachments {
  private readonly api: ResourceClient<VolumeAttachment>;

  constructor(
    client: KubeClient,
    private readonly hostId: string,
  ) {
    this.api = client.resource<VolumeAttachment>({
      group: 'storage.k8s.io',
      version: 'v1',
      resource: 'volumeattachments',
      namespaced: false,
    });
  }

  async granted(diskId: string): Promise<boolean> {
    const va = await this.api.get(undefined, volumeAttachmentName(diskId, this.hostId)).catch(ignoreNotFound);
    return !!va && !va.metadata.deletionTimestamp && va.status?.attached === true;
  }

  async released(diskId: string): Promise<void> {
    const name = volumeAttachmentName(diskId, this.hostId);
    const va = await this.api.get(undefined, name).catch(ignoreNotFound);
    if (!va) return;
    // Only the attachment seen here: one storage-svc made again meanwhile (a new pod on this host) stays.
    await this.api.delete(undefined, name, { preconditions: { uid: va.metadata.uid } }).catch((err: unknown) => {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    });
  }
}
