import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';

/**
 * Runs the scheduler's controllers (placement, virtual nodes, lost hosts, runtime classes and
 * the workload controllers) while this replica holds the `skiff-scheduler` Lease.
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
    });
  }

  onApplicationBootstrap(): void {
    this.manager.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.manager.stop();
  }
}
