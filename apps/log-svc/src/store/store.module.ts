import { Module } from '@nestjs/common';
import { LogPartitions } from './log-partitions';
import { LogRecordWriter } from './log-record.writer';
import { LogRetention } from './log-retention';
import { LogStoresRepository, PostgresLogStoresRepository } from './log-stores.repository';

/** log-svc's tables: stores, streams, daily partitions of records. */
@Module({
  providers: [
    LogPartitions,
    LogRecordWriter,
    { provide: LogStoresRepository, useClass: PostgresLogStoresRepository },
    LogRetention,
  ],
  exports: [LogPartitions, LogRecordWriter, LogStoresRepository, LogRetention],
})
export class StoreModule {}
