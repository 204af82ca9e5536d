import { Injectable } from '@nestjs/common';
import { PersistentVolume, PersistentVolumeClaim } from '@skiff/kube-types';
import { VolumeProvisioner } from '../binding/volume-provisioner';
import { LEGACY_NAS_PROVISIONER, NAS_PROVISIONER } from '../classes/built-in-storage-classes';
import { StorageInventory } from '../inventory/storage-inventory';
import { NasDirectories } from './nas-directories';

/**
 * NAS volumes for claims of a NAS class, as ASK's `volumeAs: subpath`: a directory `/pvc-<claim uid>` on the
 * cluster's NAS file system, offered as an `nfs` PV (any access mode; NAS capacity is not enforced).
 */
@Injectable()
export class NasProvisioner extends VolumeProvisioner {
  readonly names = [NAS_PROVISIONER, LEGACY_NAS_PROVISIONER];

  constructor(
    private readonly inventory: StorageInventory,
    private readonly dirs: NasDirectories,
  ) {
    super();
  }

  async provision(claim: PersistentVolumeClaim): Promise<PersistentVolume> {
    const nas = await this.inventory.defaultNas();
    const subPath = `/pvc-${claim.metadata.uid}`;
    await this.dirs.ensure(nas.id, subPath);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pvc-${claim.metadata.uid}` },
      spec: {
        capacity: { storage: String(claim.spec.resources?.requests?.storage ?? '0') },
        accessModes: claim.spec.accessModes ?? ['ReadWriteMany'],
        volumeMode: 'Filesystem',
        nfs: { server: nas.server, path: subPath },
      },
    };
  }

  async delete(pv: PersistentVolume): Promise<void> {
    const nfs = pv.spec.nfs;
    if (!nfs) return;
    await this.dirs.remove(nfs.server.split('.')[0], nfs.path);
  }

  // Nothing to grow: a NAS subpath has no quota here.
  async expand(): Promise<void> {}
}
