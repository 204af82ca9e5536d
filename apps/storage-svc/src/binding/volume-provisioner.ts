import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/kube-types';

/**
 * A storage backend (disk, NAS) as the controllers see it: what a CSI driver's controller service is to upstream's
 * external-provisioner and external-resizer. Failures are thrown as `ProvisioningError`.
 */
export abstract class VolumeProvisioner {
  /** Provisioner names it serves (StorageClass.provisioner), e.g. 'diskplugin.csi.alibabacloud.com', 'alicloud/disk'. */
  abstract readonly names: readonly string[];

  /**
   * Makes the backing volume; returns the PV to create (bound to the claim via claimRef; the controller creates it).
   * The backend gives the source, capacity, access modes, volumeMode and node affinity, and may name it (disks:
   * `d-…`); the controller fills in what upstream's provisioner library does: the name `pvc-<claim uid>` if none,
   * claimRef, storageClassName, the class's reclaim policy and mount options, `pv.kubernetes.io/provisioned-by` and
   * the provisioner finalizer. Idempotent per claim uid: asked again for the same claim (the PV create failed, or
   * the controller restarted in between) it returns the same volume.
   */
  abstract provision(
    claim: PersistentVolumeClaim,
    storageClass: StorageClass,
    selectedNode?: string,
  ): Promise<PersistentVolume>;

  /** Deletes the backing volume; one already gone counts as deleted. */
  abstract delete(pv: PersistentVolume): Promise<void>;

  /** Grows the backing volume to `bytes` (the controller then updates PV capacity). */
  abstract expand(pv: PersistentVolume, bytes: number): Promise<void>;
}

/** Nest token: VolumeProvisioner[]. */
export const VOLUME_PROVISIONERS = Symbol('VOLUME_PROVISIONERS');
