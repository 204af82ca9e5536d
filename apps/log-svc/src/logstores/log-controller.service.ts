import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LogSvcConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { LOG_SVC_CONFIG } from '../platform/config.provider';
import { LOGSTORE_CRD } from './logstore';

/**
 * Installs the Logstore CRD and runs log-svc's controllers while this replica holds the `skiff-log-svc` Lease. The
 * CRD comes first: the controllers' caches list Logstores.
 */
@Injectable()
export class LogControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly manager: ControllerManager;

  constructor(
    @Inject(LOG_SVC_CONFIG) config: LogSvcConfig,
    private readonly client: KubeClient,
    @Inject(CONTROLLERS) controllers: Controller[],
  ) {
    this.manager = new ControllerManager(client, {
      identity: config.identity,
      lease: { namespace: 'kube-system', name: 'skiff-log-svc' },
      component: 'skiff-log-svc',
      controllers,
      crds: [LOGSTORE_CRD],
    });
  }

  onApplicationBootstrap(): void {
    this.manager.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.manager.stop();
  }
}
