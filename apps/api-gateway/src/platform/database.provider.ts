import { Provider } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import { OBJECT_STORE_ENTITIES } from '@skiff/object-store-schema';
import { createDataSource } from '@skiff/persistence';
import { DataSource } from 'typeorm';
import { GATEWAY_CONFIG } from './config.provider';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

export const databaseProvider: Provider = {
  provide: DATA_SOURCE,
  inject: [GATEWAY_CONFIG],
  useFactory: async (config: ApiGatewayConfig): Promise<DataSource> => {
    const ds = createDataSource(config.databaseUrl, { entities: OBJECT_STORE_ENTITIES });
    await ds.initialize();
    return ds;
  },
};
