import { Module } from '@nestjs/common';
import { CONTROLLERS } from '@skiff/controller-runtime';
import { StoreModule } from '../store/store.module';
import { LogControllerService } from './log-controller.service';
import { LogRetentionReconciler } from './log-retention.reconciler';
import { LogstoreObjects } from './logstore-objects';
import { LogstoreReconciler } from './logstore.reconciler';

const RECONCILERS = [LogstoreReconciler, LogRetentionReconciler];

/** Logstore objects (the CRD, their stores, their finalizer) and retention, leader-elected on `skiff-log-svc`. */
@Module({
  imports: [StoreModule],
  providers: [
    LogstoreObjects,
    ...RECONCILERS,
    { provide: CONTROLLERS, useFactory: (...controllers: unknown[]) => controllers, inject: RECONCILERS },
    LogControllerService,
  ],
  exports: [LogstoreObjects],
})
export class LogstoresModule {}
