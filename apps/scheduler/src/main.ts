import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitOnBootFailure, loadSchedulerConfig } from '@skiff/config';
import { SchedulerModule } from './app.module';

async function bootstrap(): Promise<void> {
  const config = loadSchedulerConfig();
  const json = (process.env.SKIFF_LOG_FORMAT ?? 'json') === 'json';
  // No HTTP server: the scheduler works through the Kubernetes API, Redis and BullMQ.
  const app = await NestFactory.createApplicationContext(SchedulerModule.forRoot(config), {
    logger: new ConsoleLogger('scheduler', { json }),
  });
  app.enableShutdownHooks();
}

bootstrap().catch((err: unknown) => exitOnBootFailure('scheduler', err));
