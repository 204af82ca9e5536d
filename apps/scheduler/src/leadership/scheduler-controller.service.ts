import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { HELM_RELEASE_CRD, HELM_REPOSITORY_CRD } from '../catalog/catalog-objects';
import { CRON_HPA_CRD } from '../cron-hpa/cron-horizontal-pod-autoscaler';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';

/**
 * Installs the scheduler's CRDs (ASK's CronHorizontalPodAutoscaler; Flux's HelmRepository and HelmRelease) and runs its controllers (placement, virtual
 * nodes, lost hosts, runtime classes and the workload controllers) while this replica holds the `skiff-scheduler`
 * Lease. The CRD comes first: the CronHPA controller's cache lists CronHPAs.
 */
@Injectable()
export class SchedulerControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly manager: ControllerManager;

  constructor(
    @Inject(SCHEDULER_CONFIG) config: SchedulerConfig,
    @Inject(KUBE_CLIENT) client: KubeClient,
    @Inject(CONTROLLERS) controllers: Controller[],
  ) {
    this.manager = new ControllerManager(client, {
      identity: config.identity,
      lease: { namespace: 'kube-system', name: 'skiff-scheduler' },
      component: 'skiff-scheduler',
      controllers,
      crds: [CRON_HPA_CRD, HELM_REPOSITORY_CRD, HELM_RELEASE_CRD],
    });
  }

  onApplicationBootstrap(): void {
    this.manager.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.manager.stop();
  }
}
