import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { StorageSvcConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { STORAGE_SVC_CONFIG } from '../platform/config.provider';

/** Runs storage-svc's controllers while this replica holds the `skiff-storage-svc` Lease. */
@Injectable()
export class StorageControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly manager: ControllerManager;

  constructor(
    @Inject(STORAGE_SVC_CONFIG) config: StorageSvcConfig,
    private readonly client: KubeClient,
    @Inject(CONTROLLERS) controllers: Controller[],
  ) {
    this.manager = new ControllerManager(client, {
      identity: config.identity,
      lease: { namespace: 'kube-system', name: 'skiff-storage-svc' },
      component: 'skiff-storage-svc',
      controllers,
    });
  }

  onApplicationBootstrap(): void {
    this.manager.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.manager.stop();
    this.client.close();
  }
}
