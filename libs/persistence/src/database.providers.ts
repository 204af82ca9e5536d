import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource } from './data-source';

/** Nest token of a service's initialized DataSource (its own tables). */
export const DATA_SOURCE = Symbol('DATA_SOURCE');

/**
 * The DataSource provider of a service that owns `entities`: the database URL comes from the config behind
 * `configToken`. The pg pool drops connections that die with a Postgres restart and dials new ones on the next query.
 */
export function dataSourceProvider(
  configToken: symbol,
  entities: Parameters<typeof createDataSource>[1]['entities'],
  poolSize: number,
): Provider {
  return {
    provide: DATA_SOURCE,
    inject: [configToken],
    useFactory: async (config: { databaseUrl: string }): Promise<DataSource> => {
      const ds = createDataSource(config.databaseUrl, { entities }, poolSize);
      await ds.initialize();
      return ds;
    },
  };
}

/** Closes the pool on shutdown so a restarted module in the same process leaks no connections. */
@Injectable()
export class DatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
