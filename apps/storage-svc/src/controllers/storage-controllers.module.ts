import { Module } from '@nestjs/common';
import { StorageSvcConfig } from '@skiff/config';
import { CONTROLLERS } from '@skiff/controller-runtime';
import { ProcessRunner } from '@skiff/host-tools';
import { KubeClient } from '@skiff/kube-client';
import { AttachDetachReconciler } from '../attach/attach-detach.reconciler';
import { EphemeralVolumeReconciler } from '../binding/ephemeral-volume.reconciler';
import { PersistentVolumeReconciler } from '../binding/persistent-volume.reconciler';
import { PvProtectionReconciler } from '../binding/pv-protection.reconciler';
import { PvcProtectionReconciler } from '../binding/pvc-protection.reconciler';
import { VolumeExpansionReconciler } from '../binding/volume-expansion.reconciler';
import { VOLUME_PROVISIONERS } from '../binding/volume-provisioner';
import { VolumeProvisioningReconciler } from '../binding/volume-provisioning.reconciler';
import { StorageClassesReconciler } from '../classes/storage-classes.reconciler';
import { DiskImages } from '../disks/disk-images';
import { DiskProvisioner } from '../disks/disk.provisioner';
import { StorageInventory } from '../inventory/storage-inventory';
import { NasDirectories } from '../nas/nas-directories';
import { NasProvisioner } from '../nas/nas.provisioner';
import { STORAGE_SVC_CONFIG } from '../platform/config.provider';
import { StorageControllerService } from './storage-controller.service';

const RECONCILERS = [
  StorageClassesReconciler,
  PersistentVolumeReconciler,
  VolumeProvisioningReconciler,
  VolumeExpansionReconciler,
  PvcProtectionReconciler,
  PvProtectionReconciler,
  AttachDetachReconciler,
  EphemeralVolumeReconciler,
];

/**
 * storage-svc's controllers (StorageClasses, upstream's PV binder, provisioner, resizer, the protection,
 * attach-detach and ephemeral volume controllers) on the shared controller runtime, leader-elected together, over the disk and NAS backends.
 */
@Module({
  providers: [
    // Built here so a missing token file stops boot with the variable's name.
    { provide: KubeClient, useFactory: () => KubeClient.fromEnv('storage-svc') },
    StorageInventory,
    {
      provide: DiskImages,
      useFactory: (c: StorageSvcConfig) => new DiskImages(c.dataRoot, new ProcessRunner()),
      inject: [STORAGE_SVC_CONFIG],
    },
    {
      provide: NasDirectories,
      useFactory: (c: StorageSvcConfig) => new NasDirectories(c.dataRoot),
      inject: [STORAGE_SVC_CONFIG],
    },
    DiskProvisioner,
    NasProvisioner,
    { provide: VOLUME_PROVISIONERS, useFactory: (...p: unknown[]) => p, inject: [DiskProvisioner, NasProvisioner] },
    ...RECONCILERS,
    { provide: CONTROLLERS, useFactory: (...controllers: unknown[]) => controllers, inject: RECONCILERS },
    StorageControllerService,
  ],
})
export class StorageControllersModule {}
