import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadSchedulerConfig } from '@skiff/config';
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

bootstrap().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `scheduler failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  process.exit(1);
});
