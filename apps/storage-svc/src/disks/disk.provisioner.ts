import { Inject, Injectable } from '@nestjs/common';
import { parseQuantity } from '@skiff/api-machinery';
import { StorageSvcConfig } from '@skiff/config';
import { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/kube-types';
import { ProvisioningError } from '../binding/provisioning.error';
import { VolumeProvisioner } from '../binding/volume-provisioner';
import { DISK_PROVISIONER, LEGACY_DISK_PROVISIONER } from '../classes/built-in-storage-classes';
import { StorageInventory } from '../inventory/storage-inventory';
import { STORAGE_SVC_CONFIG } from '../platform/config.provider';
import { DiskFsType, DiskImages } from './disk-images';

/** The zone label ASK's disk driver puts on its PVs' node affinity. */
export const DISK_ZONE_LABEL = 'topology.diskplugin.csi.alibabacloud.com/zone';
const CATEGORIES = ['cloud_essd', 'cloud_ssd', 'cloud_efficiency'];
const GiB = 1024 ** 3;
const MAX_BYTES = 32_768 * GiB;

/**
 * Cloud disks for claims of a disk class: a `d-…` sparse image formatted with the class's (or `fstype`
 * parameter's) file system, recorded in the inventory, offered as a CSI PV named after the disk. Disks are
 * ReadWriteOnce: a claim asking for more is refused as ASK's driver refuses it.
 */
@Injectable()
export class DiskProvisioner extends VolumeProvisioner {
  readonly names = [DISK_PROVISIONER, LEGACY_DISK_PROVISIONER];

  constructor(
    @Inject(STORAGE_SVC_CONFIG) private readonly config: StorageSvcConfig,
    private readonly inventory: StorageInventory,
    private readonly images: DiskImages,
  ) {
    super();
  }

  async provision(claim: PersistentVolumeClaim, sc: StorageClass): Promise<PersistentVolume> {
    const modes = claim.spec.accessModes ?? ['ReadWriteOnce'];
    const shared = modes.filter((m) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod');
    if (shared.length)
      throw new ProvisioningError(
        'InvalidArgument',
        `cloud disks support only ReadWriteOnce, the claim asks for ${shared.join(', ')}; use a NAS class (alicloud-nas) for shared access`,
      );
    const bytes = requestedBytes(claim);
    const fsType = fsTypeOf(sc);
    const pvName = `pvc-${claim.metadata.uid}`;
    // A retry finds the disk it made before.
    let disk = await this.inventory.diskOfVolume(pvName);
    if (!disk) {
      disk = {
        id: StorageInventory.newDiskId(),
        category: categoryOf(sc),
        sizeBytes: bytes,
        fsType,
        zone: this.config.zone,
        pvName,
      };
      await this.images.create(disk.id, bytes, fsType);
      await this.inventory.addDisk(disk);
    }
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: disk.id, labels: { [DISK_ZONE_LABEL]: this.config.zone } },
      spec: {
        capacity: { storage: String(claim.spec.resources?.requests?.storage ?? disk.sizeBytes) },
        accessModes: modes,
        volumeMode: claim.spec.volumeMode ?? 'Filesystem',
        csi: { driver: DISK_PROVISIONER, volumeHandle: disk.id, fsType: disk.fsType },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: DISK_ZONE_LABEL, operator: 'In', values: [this.config.zone] }] },
            ],
          },
        },
      },
    };
  }

  async delete(pv: PersistentVolume): Promise<void> {
    const id = pv.spec.csi?.volumeHandle ?? pv.metadata.name!;
    await this.images.remove(id);
    await this.inventory.removeDisk(id);
  }

  async expand(pv: PersistentVolume, bytes: number): Promise<void> {
    const id = pv.spec.csi?.volumeHandle ?? pv.metadata.name!;
    if (bytes > MAX_BYTES) throw new ProvisioningError('OutOfRange', `disk size ${bytes} is over the 32 TiB limit`);
    await this.images.grow(id, bytes);
    await this.inventory.resizeDisk(id, bytes);
  }
}

function requestedBytes(claim: PersistentVolumeClaim): number {
  const raw = claim.spec.resources?.requests?.storage;
  if (raw === undefined) throw new ProvisioningError('InvalidArgument', 'the claim requests no storage');
  const bytes = Math.ceil(parseQuantity(String(raw)));
  if (!(bytes > 0)) throw new ProvisioningError('InvalidArgument', `invalid storage request "${raw}"`);
  if (bytes > MAX_BYTES) throw new ProvisioningError('OutOfRange', `disk size ${raw} is over the 32 TiB limit`);
  return bytes;
}

function fsTypeOf(sc: StorageClass): DiskFsType {
  const p = sc.parameters ?? {};
  const fs = (p.fstype ?? p.fsType ?? p['csi.storage.k8s.io/fstype'] ?? 'ext4').toLowerCase();
  if (fs !== 'ext4' && fs !== 'xfs')
    throw new ProvisioningError('InvalidArgument', `file system type "${fs}" is not supported (ext4, xfs)`);
  return fs;
}

// `available` (and a list) picks the first category there is; every category is a sparse file here.
function categoryOf(sc: StorageClass): string {
  const wanted = (sc.parameters?.type ?? 'cloud_essd').split(',').map((t) => t.trim());
  const found = wanted.find((t) => CATEGORIES.includes(t));
  if (found) return found;
  if (wanted.includes('available')) return CATEGORIES[0];
  throw new ProvisioningError(
    'InvalidArgument',
    `disk type "${sc.parameters?.type}" is not supported (${CATEGORIES.join(', ')}, available)`,
  );
}
