import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { NetworkSvcConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS, CUSTOM_RESOURCE_DEFINITIONS } from '@skiff/controller-runtime';
import { ignoreAlreadyExists, KubeClient } from '@skiff/kube-client';
import { ELASTIC_IP_CRD } from '../eip/elastic-ip';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';

const CRD_RETRY_MS = 2_000;

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
    this.installing = this.installCrds().then(() => {
      if (!this.stopped) this.manager.start();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.installing;
    await this.manager.stop();
    this.client.close();
  }

  // The API server may still be starting: try until it takes the CRD (or it is there).
  private async installCrds(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.client
          .resource(CUSTOM_RESOURCE_DEFINITIONS)
          .create(undefined, ELASTIC_IP_CRD)
          .catch(ignoreAlreadyExists);
        return;
      } catch (err) {
        this.log.warn(`installing the ElasticIP CRD: ${errorMessage(err)}; retrying`);
        await new Promise((r) => setTimeout(r, CRD_RETRY_MS));
      }
    }
  }
}
