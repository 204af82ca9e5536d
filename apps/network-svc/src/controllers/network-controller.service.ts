import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import {
  Controller,
  ControllerManager,
  CONTROLLERS,
  installCustomResourceDefinitions,
} from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { ELASTIC_IP_CRD } from '../eip/elastic-ip';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';

/**
 * Installs network-svc's CRD (ElasticIP) and runs its controllers while this replica holds the `skiff-network-svc`
 * Lease. The CRD comes first: the controllers' caches list ElasticIPs.
 */
@Injectable()
export class NetworkControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(NetworkControllerService.name);
  private readonly manager: ControllerManager;
  private stopped = false;
  private installing?: Promise<void>;

  constructor(
    @Inject(NETWORK_SVC_CONFIG) config: NetworkSvcConfig,
    private readonly client: KubeClient,
    @Inject(CONTROLLERS) controllers: Controller[],
  ) {
    this.manager = new ControllerManager(client, {
      identity: config.identity,
      lease: { namespace: 'kube-system', name: 'skiff-network-svc' },
      component: 'skiff-network-svc',
      controllers,
    });
  }

  onApplicationBootstrap(): void {
    this.installing = installCustomResourceDefinitions(
      this.client,
      [ELASTIC_IP_CRD],
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
    this.client.close();
  }
}
