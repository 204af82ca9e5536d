import { Module } from '@nestjs/common';
import { CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { StorageClassesReconciler } from '../classes/storage-classes.reconciler';
import { StorageControllerService } from './storage-controller.service';

/** storage-svc's controllers (StorageClasses, PersistentVolumes) on the shared controller runtime, leader-elected together. */
@Module({
  providers: [
    // Built here so a missing token file stops boot with the variable's name.
    { provide: KubeClient, useFactory: () => KubeClient.fromEnv() },
    StorageClassesReconciler,
    {
      provide: CONTROLLERS,
      useFactory: (...controllers: unknown[]) => controllers,
      inject: [StorageClassesReconciler],
    },
    StorageControllerService,
  ],
})
export class StorageControllersModule {}
