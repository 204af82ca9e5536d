import { DynamicModule, Global, Module } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { Clock } from '@skiff/api-machinery';
import { configProvider, NETWORK_SVC_CONFIG } from './config.provider';
import { DATA_SOURCE, DatabaseShutdown } from '@skiff/persistence';
import { databaseProvider } from './database.provider';

/** Config, the database pool and the clock, shared by every feature module. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: NetworkSvcConfig): DynamicModule {
    return {
      module: PlatformModule,
      providers: [configProvider(config), databaseProvider, DatabaseShutdown, Clock],
      exports: [NETWORK_SVC_CONFIG, DATA_SOURCE, Clock],
    };
  }
}
