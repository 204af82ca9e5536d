import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LogSvcConfig } from '@skiff/config';
import {
  Controller,
  ControllerManager,
  CONTROLLERS,
  installCustomResourceDefinitions,
} from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { LOG_SVC_CONFIG } from '../platform/config.provider';
import { LOGSTORE_CRD } from './logstore';

/**
 * Installs the Logstore CRD and runs log-svc's controllers while this replica holds the `skiff-log-svc` Lease. The
 * CRD comes first: the controllers' caches list Logstores.
 */
@Injectable()
export class LogControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(LogControllerService.name);
  private readonly manager: ControllerManager;
  private stopped = false;
  private installing?: Promise<void>;

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
    });
  }

  onApplicationBootstrap(): void {
    this.installing = installCustomResourceDefinitions(
      this.client,
      [LOGSTORE_CRD],
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
