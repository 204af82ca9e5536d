import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ProcessRunner } from '@skiff/host-tools';
import {
  clientCertRequest,
  EnvReader,
  issueServingCert,
  loadSandboxAgentConfig,
  SandboxAgentConfig,
  exitOnBootFailure,
} from '@skiff/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SandboxAgentModule } from './app.module';
import { cleanupAgentHost } from './pods/agent-cleanup';

// The agent's serving certificate: given (SKIFF_AGENT_TLS_CERT/KEY), or issued once by the cluster CA next to SKIFF_CA_FILE.
function servingCert(config: SandboxAgentConfig): { cert: Buffer; key: Buffer } {
  const env = new EnvReader();
  const certFile = env.optional('SKIFF_AGENT_TLS_CERT');
  const keyFile = env.optional('SKIFF_AGENT_TLS_KEY');
  if (certFile && keyFile) return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  const issued = issueServingCert({
    caFile: config.caFile,
    caKeyFile: path.join(path.dirname(config.caFile), 'ca.key'),
    outDir: path.join(config.stateDir, 'pki'),
    name: 'sandbox-agent',
    sans: [...new Set(['127.0.0.1', 'localhost', config.address])],
  });
  return { cert: readFileSync(issued.certFile), key: readFileSync(issued.keyFile) };
}

async function serve(): Promise<void> {
  const config = loadSandboxAgentConfig();
  const logger = new ConsoleLogger('sandbox-agent', { json: config.logFormat === 'json' });
  const app = await NestFactory.create<NestExpressApplication>(SandboxAgentModule.forRoot(config), {
    logger,
    // Callers are asked for a client certificate: AgentAuthService lets only the API server's in.
    httpsOptions: { ...servingCert(config), ...clientCertRequest(readFileSync(config.caFile)) },
  });
  app.set('x-powered-by', false);
  app.enableShutdownHooks();
  await app.listen(config.port, config.listenHost);
  new Logger('sandbox-agent').log(
    `host ${config.hostId} serving logs/exec on https://${config.listenHost}:${config.port} as ${config.address}`,
  );
}

async function cleanup(): Promise<void> {
  // No Nest application here: the command runs once, outside the agent.
  const removed = await cleanupAgentHost(loadSandboxAgentConfig(), new ProcessRunner());
  for (const r of removed) console.log(`removed ${r}`);
}

(process.argv[2] === 'cleanup' ? cleanup() : serve()).catch((err: unknown) => exitOnBootFailure('sandbox-agent', err));
