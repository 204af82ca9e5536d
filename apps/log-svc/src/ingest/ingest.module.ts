import { Module } from '@nestjs/common';
import { LogstoresModule } from '../logstores/logstores.module';
import { StoreModule } from '../store/store.module';
import { LogIngestService } from './log-ingest.service';
import { natsProvider } from './nats.provider';

/** The log stream's consumer: batches in, records committed, then acknowledged. */
@Module({
  imports: [StoreModule, LogstoresModule],
  providers: [natsProvider, LogIngestService],
})
export class IngestModule {}
