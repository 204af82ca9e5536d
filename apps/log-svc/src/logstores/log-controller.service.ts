import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { LogSvcConfig } from '@skiff/config';
import { Controller, ControllerManager, CONTROLLERS, CUSTOM_RESOURCE_DEFINITIONS } from '@skiff/controller-runtime';
import { ignoreAlreadyExists, KubeClient } from '@skiff/kube-client';
import { LOG_SVC_CONFIG } from '../platform/config.provider';
import { LOGSTORE_CRD } from './logstore';

const CRD_RETRY_MS = 2_000;

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
    this.installing = this.installCrd().then(() => {
      if (!this.stopped) this.manager.start();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.installing;
    await this.manager.stop();
  }

  // The API server may still be starting: try until it takes the CRD (or it is there).
  private async installCrd(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.client
          .resource(CUSTOM_RESOURCE_DEFINITIONS)
          .create(undefined, LOGSTORE_CRD)
          .catch(ignoreAlreadyExists);
        return;
      } catch (err) {
        this.log.warn(`installing the Logstore CRD: ${errorMessage(err)}; retrying`);
        await new Promise((r) => setTimeout(r, CRD_RETRY_MS));
      }
    }
  }
}
