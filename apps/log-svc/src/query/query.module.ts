import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module';
import { LogQueryController } from './log-query.controller';
import { LogQueryService } from './log-query.service';
import { LogRecordReader } from './log-record.reader';
import { LogTailService } from './log-tail.service';
import { PodLogService } from './pod-log.service';

/** The query endpoint: searches, histograms, live tails, and the logs of pods that are gone. */
@Module({
  imports: [StoreModule],
  controllers: [LogQueryController],
  providers: [LogRecordReader, LogQueryService, LogTailService, PodLogService],
})
export class QueryModule {}
