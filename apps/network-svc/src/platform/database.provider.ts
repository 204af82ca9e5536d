import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { IPAM_ENTITIES } from '@skiff/ipam-schema';
import { createDataSource } from '@skiff/persistence';
import { DataSource } from 'typeorm';
import { NETWORK_SVC_CONFIG } from './config.provider';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

export const databaseProvider: Provider = {
  provide: DATA_SOURCE,
  inject: [NETWORK_SVC_CONFIG],
  useFactory: async (config: NetworkSvcConfig): Promise<DataSource> => {
    // A small pool: allocations serialize on the cursor row anyway. The pg pool drops
    // connections that die with a Postgres restart and dials new ones on the next query.
    const ds = createDataSource(config.databaseUrl, { entities: IPAM_ENTITIES }, 8);
    await ds.initialize();
    return ds;
  },
};

/** Closes the pool on shutdown so a restarted module in the same process leaks no connections. */
@Injectable()
export class DatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
