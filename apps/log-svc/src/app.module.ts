import { DynamicModule, Module } from '@nestjs/common';
import { LogSvcConfig } from '@skiff/config';
import { EndpointModule } from './endpoint/endpoint.module';
import { IngestModule } from './ingest/ingest.module';
import { LogstoresModule } from './logstores/logstores.module';
import { PlatformModule } from './platform/platform.module';
import { QueryModule } from './query/query.module';

@Module({})
export class AppModule {
  static forRoot(config: LogSvcConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(config), IngestModule, LogstoresModule, QueryModule, EndpointModule],
    };
  }
}
