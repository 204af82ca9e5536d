import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { clientCertRequest, exitOnBootFailure, loadLogSvcConfig } from '@skiff/config';
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { QueryEndpointLeaseService } from './endpoint/query-endpoint-lease.service';
import { servingCertOf } from './platform/serving-cert';

async function bootstrap(): Promise<void> {
  const config = loadLogSvcConfig();
  const logger = new ConsoleLogger('log-svc', { json: config.logFormat === 'json' });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    // Callers are asked for a client certificate: only the API server's may query.
    httpsOptions: { ...servingCertOf(config), ...clientCertRequest(readFileSync(config.caFile)) },
  });
  app.set('x-powered-by', false);
  app.enableShutdownHooks();
  await app.listen(config.port, config.listenHost);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const address = config.advertiseHost.includes(':')
    ? `[${config.advertiseHost}]:${port}`
    : `${config.advertiseHost}:${port}`;
  app.get(QueryEndpointLeaseService).advertise(address);
  new Logger('log-svc').log(`serving log queries on https://${config.listenHost}:${port}, advertised as ${address}`);
}

bootstrap().catch((err: unknown) => exitOnBootFailure('log-svc', err));
