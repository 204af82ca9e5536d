// Contracts between storage-svc, the scheduler and the sandbox agents about storage: which claims a pod's volumes
// stand for, which volumes are cloud disks, and the VolumeAttachment that lets one sandbox host at a time attach a
// disk (ReadWriteOnce across hosts).
import { createHash } from 'node:crypto';
import type { PersistentVolume, Pod, Volume } from '@skiff/kube-types';

/** ASK's disk drivers: the CSI name (also the VolumeAttachment attacher) and the flexvolume-era one. */
export const DISK_CSI_DRIVER = 'diskplugin.csi.alibabacloud.com';
export const DISK_DRIVERS: ReadonlySet<string> = new Set([DISK_CSI_DRIVER, 'alicloud/disk']);
export const NAS_DRIVERS: ReadonlySet<string> = new Set(['nasplugin.csi.alibabacloud.com', 'alicloud/nas']);

/**
 * ASK's dynamic flexvolume disk, `alicloud/disk` with `volumeSize` and no `volumeId`: like an ephemeral volume, a
 * claim of the pod's own of `volumeType` (a disk StorageClass; the default class without it). A bare number of
 * `volumeSize` is GiB, as disk sizes are on Alibaba Cloud.
 */
export function dynamicDiskOf(v: Volume): { storageClassName?: string; size: string } | undefined {
  const f = v.flexVolume;
  if (!f || !DISK_DRIVERS.has(f.driver) || f.options?.volumeId || !f.options?.volumeSize) return undefined;
  const size = /^\d+$/.test(f.options.volumeSize) ? `${f.options.volumeSize}Gi` : f.options.volumeSize;
  return { size, ...(f.options.volumeType ? { storageClassName: f.options.volumeType } : {}) };
}

/** A volume whose claim is made for the pod (a generic ephemeral volume, or a dynamic flexvolume disk). */
export function isPodOwnedClaimVolume(v: Volume): boolean {
  return !!v.ephemeral || !!dynamicDiskOf(v);
}

/**
 * The claim a pod volume stands for: its persistentVolumeClaim, or the claim made for the pod, named
 * `<pod>-<volume>` as upstream names ephemeral volumes' claims (k8s.io/component-helpers/storage/ephemeral).
 */
export function claimNameOf(pod: Pod, v: Volume): string | undefined {
  if (v.persistentVolumeClaim) return v.persistentVolumeClaim.claimName;
  return isPodOwnedClaimVolume(v) ? `${pod.metadata.name}-${v.name}` : undefined;
}

/** Every claim a pod mounts. */
export function podClaimNames(pod: Pod): string[] {
  return (pod.spec.volumes ?? []).flatMap((v) => claimNameOf(pod, v) ?? []);
}

/** On every VolumeAttachment storage-svc makes: the disk it is for (the PV name may differ from it). */
export const DISK_ID_ANNOTATION = 'storage.skiff.io/disk-id';

export interface DiskRef {
  diskId: string;
  fsType: string;
}

/** The disk behind a PersistentVolume (CSI handle or flexVolume `volumeId`), if it is one. */
export function diskOfPersistentVolume(pv: PersistentVolume): DiskRef | undefined {
  const s = pv.spec ?? {};
  if (s.csi && DISK_DRIVERS.has(s.csi.driver)) return { diskId: s.csi.volumeHandle, fsType: s.csi.fsType || 'ext4' };
  if (s.flexVolume && DISK_DRIVERS.has(s.flexVolume.driver) && s.flexVolume.options?.volumeId)
    return { diskId: s.flexVolume.options.volumeId, fsType: s.flexVolume.fsType || 'ext4' };
  return undefined;
}

/** The disk an inline pod volume names (flexVolume `alicloud/disk` with `volumeId`, or CSI `volumeAttributes.volumeId`). */
export function diskOfInlineVolume(v: Volume): DiskRef | undefined {
  if (v.flexVolume && DISK_DRIVERS.has(v.flexVolume.driver) && v.flexVolume.options?.volumeId)
    return { diskId: v.flexVolume.options.volumeId, fsType: v.flexVolume.fsType || 'ext4' };
  if (v.csi && DISK_DRIVERS.has(v.csi.driver) && v.csi.volumeAttributes?.volumeId)
    return { diskId: v.csi.volumeAttributes.volumeId, fsType: v.csi.fsType || 'ext4' };
  return undefined;
}

/**
 * The VolumeAttachment of a disk on a sandbox host, named as upstream's CSI attacher names them
 * (`csi-<sha256(handle + attacher + node)>`), with the host in place of the node: a zone's hosts share one
 * virtual node, and a disk is attached to a host.
 */
export function volumeAttachmentName(diskId: string, hostId: string): string {
  return `csi-${createHash('sha256').update(`${diskId}${DISK_CSI_DRIVER}${hostId}`).digest('hex')}`;
}
