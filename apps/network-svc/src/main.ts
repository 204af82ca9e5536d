import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { loadNetworkSvcConfig, exitOnBootFailure } from '@skiff/config';
import { ipamSubjects } from '@skiff/messaging';
import { AppModule } from './app.module';
import { natsTransportOptions } from './platform/nats-transport';

async function bootstrap(): Promise<void> {
  const config = loadNetworkSvcConfig();
  const logger = new ConsoleLogger('network-svc', { json: config.logFormat === 'json' });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.forRoot(config), {
    ...natsTransportOptions(config),
    logger,
  });
  app.enableShutdownHooks();
  await app.listen();
  const subjects = ipamSubjects(config.natsPrefix);
  new Logger('network-svc').log(
    `serving ENI/IPAM for ${config.vswitchCidr} on ${subjects.allocate} and ${subjects.release}`,
  );
}

bootstrap().catch((err: unknown) => exitOnBootFailure('network-svc', err));
