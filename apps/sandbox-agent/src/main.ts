import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadSandboxAgentConfig } from '@skiff/config';
import { SandboxAgentModule } from './app.module';

async function bootstrap(): Promise<void> {
  const config = loadSandboxAgentConfig();
  const logger = new ConsoleLogger('sandbox-agent', { json: config.logFormat === 'json' });
  // The logs/exec/port-forward endpoint is not served yet: the agent works through the API, Redis, NATS and BullMQ.
  const app = await NestFactory.createApplicationContext(SandboxAgentModule.forRoot(config), { logger });
  app.enableShutdownHooks();
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `sandbox-agent failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
