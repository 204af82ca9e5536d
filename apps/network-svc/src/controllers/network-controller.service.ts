import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { ELASTIC_IP_CRD } from '../eip/elastic-ip';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';

/**
 * Installs network-svc's CRD (ElasticIP) and runs its controllers while this replica holds the `skiff-network-svc`
 * Lease. The CRD comes first: the controllers' caches list ElasticIPs.
 */
@Injectable()
export class NetworkControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly manager: ControllerManager;

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
      crds: [ELASTIC_IP_CRD],
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
