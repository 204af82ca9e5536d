import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadApiGatewayConfig, exitOnBootFailure } from '@skiff/config';
import { readFileSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { AppModule } from './app.module';
import { AuditService } from './audit/audit.service';
import { PodUpgradeProxy } from './pod-streams/pod-upgrade.proxy';
import { StatusExceptionFilter } from './observability/status-exception.filter';
import { errorMessage } from '@skiff/api-machinery';

async function bootstrap(): Promise<void> {
  const config = loadApiGatewayConfig();
  const logger = new ConsoleLogger('api-gateway', { json: config.logFormat === 'json' });
  let httpsOptions: { cert: Buffer; key: Buffer; ca: Buffer; requestCert: true; rejectUnauthorized: false };
  try {
    httpsOptions = {
      cert: readFileSync(config.tlsCertFile),
      key: readFileSync(config.tlsKeyFile),
      // Client certificates signed by the cluster CA authenticate users: asked for, checked, never required.
      ca: readFileSync(config.caFile),
      requestCert: true,
      rejectUnauthorized: false,
    };
  } catch (err) {
    throw new ConfigError('SKIFF_TLS_CERT', `cannot read the serving certificate or CA: ${errorMessage(err)}`);
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    httpsOptions,
    bodyParser: false,
    logger,
  });
  app.set('x-powered-by', false);
  app.useGlobalFilters(new StatusExceptionFilter());
  app.enableShutdownHooks();
  // WebSocket upgrades (pods/exec) bypass the router: they are spliced through to the pod's agent.
  const upgrades = app.get(PodUpgradeProxy);
  const audit = app.get(AuditService);
  const server = app.getHttpServer();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    audit.trackUpgrade(req, socket);
    upgrades.handle(req, socket, head);
  });
  // Clients keep connections (client-go, client-node): Node's 5 s idle close races their reuse and a POST dies
  // with "socket hang up". Idle connections stay open as long as kube-apiserver's (Go) do in practice.
  server.keepAliveTimeout = 90_000;
  server.headersTimeout = 95_000;
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  new Logger('api-gateway').log(`serving the Kubernetes API on ${url.replace('[::1]', 'localhost')}`);
}

bootstrap().catch((err: unknown) => exitOnBootFailure('api-gateway', err));
