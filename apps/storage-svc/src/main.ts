import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitOnBootFailure, loadStorageSvcConfig } from '@skiff/config';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const config = loadStorageSvcConfig();
  const logger = new ConsoleLogger('storage-svc', { json: config.logFormat === 'json' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger });
  app.enableShutdownHooks();
  new Logger('storage-svc').log(`serving disks and NAS from ${config.dataRoot}`);
}

bootstrap().catch((err: unknown) => exitOnBootFailure('storage-svc', err));
