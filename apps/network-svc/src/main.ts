import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { loadNetworkSvcConfig, exitOnBootFailure } from '@skiff/config';
import { clusterIpSubjects, ipamSubjects } from '@skiff/messaging';
import { ProcessRunner } from '@skiff/host-tools';
import { AppModule } from './app.module';
import { EdgeNetwork } from './edge/edge-network';
import { ingressProxyOf } from './edge/edge.providers';
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

/** `network-svc cleanup`: removes the edge (its netns, veth, routes, nft tables and the Ingress proxy). */
async function cleanup(): Promise<void> {
  const config = loadNetworkSvcConfig();
  await ingressProxyOf(config).remove();
  await new EdgeNetwork(config.edge, config.vswitchCidr, new ProcessRunner()).remove();
  new Logger('network-svc').log(`removed the edge ${config.edge.netns}`);
}

(process.argv[2] === 'cleanup' ? cleanup() : bootstrap()).catch((err: unknown) =>
  exitOnBootFailure('network-svc', err),
);
