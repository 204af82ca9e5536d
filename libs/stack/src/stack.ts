import { ensureClusterCredentials, writeKubeconfig } from '@skiff/config';
import { migrate } from '@skiff/persistence';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { waitForReady } from './readiness';
import { ServiceProcess, spawnService } from './service-process';

export interface StackOptions {
  stateDir: string;
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
  apiPort: number;
  /** Extra environment for the services (e.g. smaller watch windows in tests). */
  env?: Record<string, string>;
  onLine?: (service: string, line: string) => void;
}

export interface RunningStack {
  server: string;
  kubeconfig: string;
  token: string;
  ca: Buffer;
  services: ServiceProcess[];
  /** Stops the API server by PID and starts it again (restart-survival tests). */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/** Migrates, writes credentials and kubeconfig, starts the services and waits until ready. */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  await migrate(opts.databaseUrl);
  const creds = ensureClusterCredentials(opts.stateDir);
  const server = `https://127.0.0.1:${opts.apiPort}`;
  const kubeconfig = path.join(opts.stateDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server, creds);
  const env: Record<string, string> = {
    DATABASE_URL: opts.databaseUrl,
    NATS_URL: opts.natsUrl,
    REDIS_URL: opts.redisUrl,
    SKIFF_STATE_DIR: opts.stateDir,
    SKIFF_API_PORT: String(opts.apiPort),
    SKIFF_TLS_CERT: creds.certFile,
    SKIFF_TLS_KEY: creds.keyFile,
    SKIFF_ADMIN_TOKEN_FILE: creds.tokenFile,
    ...opts.env,
  };
  const ca = readFileSync(creds.caFile);
  const services: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(services.map((s) => s.stop()));
  };
  const startGateway = async (): Promise<void> => {
    const gateway = spawnService('api-gateway', { env, onLine: opts.onLine && ((l) => opts.onLine!('api-gateway', l)) });
    services.splice(0, 1, gateway);
    await waitForReady(server, ca, 60_000, () => gateway.child.exitCode === null);
  };
  try {
    await startGateway();
  } catch (err) {
    await stop();
    throw err;
  }
  const restartApiServer = async (): Promise<void> => {
    await services[0].stop();
    await startGateway();
  };
  return { server, kubeconfig, token: readFileSync(creds.tokenFile, 'utf8').trim(), ca, services, restartApiServer, stop };
}
