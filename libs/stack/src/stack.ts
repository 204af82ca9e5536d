import { ClusterCredentials, ensureClusterCredentials, writeKubeconfig } from '@skiff/config';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { waitForReady } from './readiness';
import { compiledEntry } from './repo-root';
import { ServiceProcess, spawnService } from './service-process';

/** The services of a cluster, in start order; the API server comes first, the others talk to it. */
export type ServiceName = 'api-gateway' | 'network-svc' | 'storage-svc' | 'log-svc' | 'scheduler' | 'sandbox-agent';
export const CONTROL_PLANE: ServiceName[] = ['api-gateway', 'network-svc', 'storage-svc', 'log-svc', 'scheduler'];

export interface StackOptions {
  stateDir: string;
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
  apiPort: number;
  /** Which services to run (default: the control plane). */
  services?: ServiceName[];
  /** Extra environment for the services (e.g. smaller watch windows in tests). */
  env?: Record<string, string>;
  onLine?: (service: string, line: string) => void;
}

export interface RunningStack {
  server: string;
  kubeconfig: string;
  token: string;
  ca: Buffer;
  services: Map<ServiceName, ServiceProcess>;
  /** Stops a service by PID and starts it again (restart-survival tests). */
  restart(name: ServiceName): Promise<void>;
  restartApiServer(): Promise<void>;
  /** Starts one more replica of a service with the same settings (leader-election tests); stop() stops it too. */
  addReplica(name: ServiceName, env?: Record<string, string>): ServiceProcess;
  stop(): Promise<void>;
}

export interface PreparedCluster {
  creds: ClusterCredentials;
  kubeconfig: string;
}

/**
 * What a cluster needs before its services start: the schema migrated, the CA, serving
 * certificate (for 127.0.0.1 and `serverNames`) and admin token under `stateDir`, and a
 * kubeconfig for `server`.
 */
export async function prepareCluster(opts: {
  stateDir: string;
  databaseUrl: string;
  server: string;
  serverNames?: string[];
}): Promise<PreparedCluster> {
  await migrateInChildProcess(opts.databaseUrl);
  const creds = ensureClusterCredentials(opts.stateDir, opts.serverNames);
  const kubeconfig = path.join(opts.stateDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, opts.server, creds);
  return { creds, kubeconfig };
}

/** Prepares the cluster, starts the services and waits until ready. */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  const server = `https://127.0.0.1:${opts.apiPort}`;
  const { creds, kubeconfig } = await prepareCluster({
    stateDir: opts.stateDir,
    databaseUrl: opts.databaseUrl,
    server,
  });
  const env: Record<string, string> = {
    DATABASE_URL: opts.databaseUrl,
    NATS_URL: opts.natsUrl,
    REDIS_URL: opts.redisUrl,
    SKIFF_STATE_DIR: opts.stateDir,
    SKIFF_API_PORT: String(opts.apiPort),
    SKIFF_TLS_CERT: creds.certFile,
    SKIFF_TLS_KEY: creds.keyFile,
    // How the other services reach the API server.
    SKIFF_API_SERVER: server,
    SKIFF_CA_FILE: creds.caFile,
    ...opts.env,
  };
  const ca = readFileSync(creds.caFile);
  const services = new Map<ServiceName, ServiceProcess>();
  const replicas: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    // Reverse order: clients first, the API server last.
    for (const replica of replicas) await replica.stop();
    for (const name of [...services.keys()].reverse()) await services.get(name)!.stop();
  };
  const start = async (name: ServiceName): Promise<void> => {
    // Only the API server knows the admin token; every other service is its own user (a client certificate).
    const own = name === 'api-gateway' ? { ...env, SKIFF_ADMIN_TOKEN_FILE: creds.tokenFile } : env;
    const svc = spawnService(name, { env: own, onLine: opts.onLine && ((l) => opts.onLine!(name, l)) });
    services.set(name, svc);
    if (name === 'api-gateway') await waitForReady(server, ca, 60_000, () => svc.child.exitCode === null);
  };
  try {
    for (const name of opts.services ?? CONTROL_PLANE) await start(name);
  } catch (err) {
    await stop();
    throw err;
  }
  const restart = async (name: ServiceName): Promise<void> => {
    await services.get(name)?.stop();
    await start(name);
  };
  return {
    server,
    kubeconfig,
    token: readFileSync(creds.tokenFile, 'utf8').trim(),
    ca,
    services,
    restart,
    restartApiServer: () => restart('api-gateway'),
    addReplica: (name, extra = {}) => {
      const replica = spawnService(name, {
        env: { ...env, ...extra },
        onLine: opts.onLine && ((l) => opts.onLine!(`${name}*`, l)),
      });
      replicas.push(replica);
      return replica;
    },
    stop,
  };
}

// Migrations run in a short-lived process of their own: the launcher that supervises the services never holds the ORM.
function migrateInChildProcess(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', compiledEntry('libs', 'migrations', 'src', 'migrate.cli.js')],
      { env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 120_000 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`migrations failed: ${stderr.trim() || err.message}`));
        else resolve();
      },
    );
  });
}
