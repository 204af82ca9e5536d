import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { loadNetworkSvcConfig, exitOnBootFailure } from '@skiff/config';
import { clusterIpSubjects, ipamSubjects } from '@skiff/messaging';
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
  const log = new Logger('network-svc');
  log.log(`serving ENI/IPAM for ${config.vswitchCidr} on ${ipamSubjects(config.natsPrefix).allocate}`);
  log.log(`serving ClusterIPs from ${config.serviceCidr} on ${clusterIpSubjects(config.natsPrefix).allocate}`);
}

bootstrap().catch((err: unknown) => exitOnBootFailure('network-svc', err));
