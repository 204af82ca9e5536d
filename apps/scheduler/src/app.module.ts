import { DynamicModule, Module } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { CONTROLLERS } from '@skiff/controller-runtime';
import { ClusterRoleAggregationReconciler } from './cluster-role-aggregation/cluster-role-aggregation.reconciler';
import { HorizontalPodAutoscalerReconciler } from './autoscaling/horizontal-pod-autoscaler.reconciler';
import { DeploymentReconciler } from './deployments/deployment.reconciler';
import { DisruptionReconciler } from './disruption/disruption.reconciler';
import { GarbageCollectorReconciler } from './garbage-collector/garbage-collector.reconciler';
import { LostHostReconciler } from './host-health/lost-host.reconciler';
import { SchedulerControllerService } from './leadership/scheduler-controller.service';
import { ReplicaSetReconciler } from './replica-sets/replica-set.reconciler';
import { ReplicationControllerReconciler } from './replication-controllers/replication-controller.reconciler';
import { PodPlacementReconciler } from './placement/pod-placement.reconciler';
import { SandboxQueueService } from './placement/sandbox-queue.service';
import { schedulerProviders } from './platform/scheduler.providers';
import { ResourceQuotaReconciler } from './resource-quotas/resource-quota.reconciler';
import { RuntimeClassReconciler } from './runtime-classes/runtime-class.reconciler';
import { RootCaPublisherReconciler } from './service-accounts/root-ca-publisher.reconciler';
import { ServiceAccountReconciler } from './service-accounts/service-account.reconciler';
import { StatefulSetReconciler } from './stateful-sets/stateful-set.reconciler';
import { ChartRepositoryServer } from './catalog/chart-repository.server';
import { HelmReleaseReconciler } from './catalog/helm-release.reconciler';
import { HelmRepositoryReconciler } from './catalog/helm-repository.reconciler';
import { CronHpaReconciler } from './cron-hpa/cron-hpa.reconciler';
import { CronJobReconciler } from './cron-jobs/cron-job.reconciler';
import { JobReconciler } from './jobs/job.reconciler';
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
        ServiceAccountReconciler,
        RootCaPublisherReconciler,
        LostHostReconciler,
        ReplicaSetReconciler,
        ReplicationControllerReconciler,
        GarbageCollectorReconciler,
        DeploymentReconciler,
        Clock,
        JobReconciler,
        CronJobReconciler,
        CronHpaReconciler,
        StatefulSetReconciler,
        DisruptionReconciler,
        RuntimeClassReconciler,
        HorizontalPodAutoscalerReconciler,
        ResourceQuotaReconciler,
        ClusterRoleAggregationReconciler,
        HelmRepositoryReconciler,
        HelmReleaseReconciler,
        ChartRepositoryServer,
        // Each controller is a provider and listed in CONTROLLERS' inject.
        {
          provide: CONTROLLERS,
          useFactory: (...controllers: unknown[]) => controllers,
          inject: [
            PodPlacementReconciler,
            VirtualNodeReconciler,
            LostHostReconciler,
            RuntimeClassReconciler,
            GarbageCollectorReconciler,
            ReplicaSetReconciler,
            ReplicationControllerReconciler,
            DeploymentReconciler,
            JobReconciler,
            CronJobReconciler,
            CronHpaReconciler,
            StatefulSetReconciler,
            DisruptionReconciler,
            HorizontalPodAutoscalerReconciler,
            ServiceAccountReconciler,
            RootCaPublisherReconciler,
            ResourceQuotaReconciler,
            ClusterRoleAggregationReconciler,
            HelmRepositoryReconciler,
            HelmReleaseReconciler,
          ],
        },
        SchedulerControllerService,
      ],
    };
  }
}
