import { DynamicModule, Module } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import { WORKLOAD_CONTROLLERS } from './controllers/controller';
import { DeploymentReconciler } from './deployments/deployment.reconciler';
import { DisruptionClock } from './disruption/disruption-clock';
import { DisruptionReconciler } from './disruption/disruption.reconciler';
import { GarbageCollectorReconciler } from './garbage-collector/garbage-collector.reconciler';
import { LostHostReconciler } from './host-health/lost-host.reconciler';
import { SchedulerControllerService } from './leadership/scheduler-controller.service';
import { ReplicaSetReconciler } from './replica-sets/replica-set.reconciler';
import { ReplicationControllerReconciler } from './replication-controllers/replication-controller.reconciler';
import { PodPlacementReconciler } from './placement/pod-placement.reconciler';
import { SandboxQueueService } from './placement/sandbox-queue.service';
import { schedulerProviders } from './platform/scheduler.providers';
import { StatefulSetReconciler } from './stateful-sets/stateful-set.reconciler';
import { CronJobController } from './cron-jobs/cron-job.controller';
import { BatchClock } from './jobs/batch-clock';
import { JobController } from './jobs/job.controller';
import { HostRegistryRepository } from './virtual-nodes/host-registry.repository';
import { VirtualNodeReconciler } from './virtual-nodes/virtual-node.reconciler';

@Module({})
export class SchedulerModule {
  static forRoot(config?: SchedulerConfig): DynamicModule {
    return {
      module: SchedulerModule,
      providers: [
        ...schedulerProviders(config),
        HostRegistryRepository,
        VirtualNodeReconciler,
        SandboxQueueService,
        PodPlacementReconciler,
        LostHostReconciler,
        ReplicaSetReconciler,
        ReplicationControllerReconciler,
        GarbageCollectorReconciler,
        DeploymentReconciler,
        BatchClock,
        JobController,
        CronJobController,
        StatefulSetReconciler,
        DisruptionClock,
        DisruptionReconciler,
        // Each workload controller is a provider and listed in WORKLOAD_CONTROLLERS' inject.
        { provide: WORKLOAD_CONTROLLERS, useFactory: (...controllers: unknown[]) => controllers, inject: [GarbageCollectorReconciler, ReplicaSetReconciler, ReplicationControllerReconciler, DeploymentReconciler, JobController, CronJobController, StatefulSetReconciler, DisruptionReconciler] },
        SchedulerControllerService,
      ],
    };
  }
}
