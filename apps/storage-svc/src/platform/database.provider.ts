import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { StorageSvcConfig } from '@skiff/config';
import { createDataSource } from '@skiff/persistence';
import { STORAGE_ENTITIES } from '@skiff/storage-schema';
import { DataSource } from 'typeorm';
import { STORAGE_SVC_CONFIG } from './config.provider';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

export const databaseProvider: Provider = {
  provide: DATA_SOURCE,
  inject: [STORAGE_SVC_CONFIG],
  useFactory: async (config: StorageSvcConfig): Promise<DataSource> => {
    const ds = createDataSource(config.databaseUrl, { entities: STORAGE_ENTITIES }, 4);
    await ds.initialize();
    return ds;
  },
};

/** Closes the pool on shutdown. */
@Injectable()
export class DatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
