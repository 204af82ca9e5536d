import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import {
  Controller,
  ControllerManager,
  CONTROLLERS,
  installCustomResourceDefinitions,
} from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { CRON_HPA_CRD } from '../cron-hpa/cron-horizontal-pod-autoscaler';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';

/**
 * Installs the scheduler's CRD (ASK's CronHorizontalPodAutoscaler) and runs its controllers (placement, virtual
 * nodes, lost hosts, runtime classes and the workload controllers) while this replica holds the `skiff-scheduler`
 * Lease. The CRD comes first: the CronHPA controller's cache lists CronHPAs.
 */
@Injectable()
export class SchedulerControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(SchedulerControllerService.name);
  private readonly manager: ControllerManager;
  private stopped = false;
  private installing?: Promise<void>;

  constructor(
    @Inject(SCHEDULER_CONFIG) config: SchedulerConfig,
    @Inject(KUBE_CLIENT) private readonly client: KubeClient,
    @Inject(CONTROLLERS) controllers: Controller[],
  ) {
    this.manager = new ControllerManager(client, {
      identity: config.identity,
      lease: { namespace: 'kube-system', name: 'skiff-scheduler' },
      component: 'skiff-scheduler',
      controllers,
    });
  }

  onApplicationBootstrap(): void {
    this.installing = installCustomResourceDefinitions(
      this.client,
      [CRON_HPA_CRD],
      () => this.stopped,
      (m) => this.log.warn(m),
    ).then(() => {
      if (!this.stopped) this.manager.start();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.installing;
    await this.manager.stop();
  }
}
