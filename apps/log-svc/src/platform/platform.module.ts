import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { LogSvcConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import { DATA_SOURCE, DatabaseShutdown } from '@skiff/persistence';
import { configProvider, LOG_SVC_CONFIG } from './config.provider';
import { databaseProvider } from './database.provider';

/** Config, the database pool, the Kubernetes API client and the clock, shared by every feature module. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: LogSvcConfig): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        configProvider(config),
        databaseProvider,
        DatabaseShutdown,
        Clock,
        // Built here so a missing token file stops boot with the variable's name.
        { provide: KubeClient, useFactory: () => KubeClient.fromEnv('log-svc') },
      ],
      exports: [LOG_SVC_CONFIG, DATA_SOURCE, Clock, KubeClient],
    };
  }
}
