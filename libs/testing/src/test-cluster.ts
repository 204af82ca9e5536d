import { ComponentName, componentClientCert, loadInfraConfig } from '@skiff/config';
import { changesStreamNames, logStreamNames } from '@skiff/messaging';
import { ApiCaller, apiRequest } from './api-client';
import { compiledEntry, repoRoot, RunningStack, ServiceName, startStack } from '@skiff/stack';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connect } from 'nats';
import { Client } from 'pg';
import IORedis from 'ioredis';
import { errorMessage } from '@skiff/api-machinery';
import { edgeEnvOf, TestEdge, testEdgeOf } from './test-edge';

// The plain kubectl 1.32 binary; the one on PATH is a dispatcher that first calls /version.
const KUBECTL_CANDIDATES = ['/usr/lib/google-cloud-sdk/bin/kubectl.1.32', 'kubectl'];
export const KUBECTL = KUBECTL_CANDIDATES.find((p) => p === 'kubectl' || existsSync(p))!;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  stack: RunningStack;
  /** The cluster's NATS/Redis name prefix (SKIFF_NATS_PREFIX). */
  prefix: string;
  stateDir: string;
  databaseUrl: string;
  /** The cluster's own edge (SKIFF_EDGE_*, SKIFF_SLB_POOL, SKIFF_EIP_POOL) when it runs network-svc. */
  edge?: TestEdge;
  /** The project's chart repository the scheduler serves (SKIFF_CHART_REPO_LISTEN), on a port of the cluster's own. */
  chartRepository: string;
  /** Runs the real kubectl against this cluster. */
  kubectl(
    args: string[],
    opts?: { stdin?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<KubectlResult>;
  stop(): Promise<void>;
}

/** The cluster's API server as a Skiff component sees it: with the component's own client certificate. */
export function componentCaller(
  cluster: TestCluster,
  component: ComponentName,
  server = cluster.stack.server,
): ApiCaller & { cert: Buffer; key: Buffer } {
  const files = componentClientCert(path.join(cluster.stateDir, 'pki'), component);
  return { server, ca: cluster.stack.ca, cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Starts a whole Skiff cluster of its own for a test file: a fresh database, its own NATS
 * subjects, a free port and a temporary state directory. `stop()` removes all of it.
 */
export async function startTestCluster(
  env: Record<string, string> = {},
  services: ServiceName[] = ['api-gateway'],
): Promise<TestCluster> {
  const infra = { ...loadInfraConfig(), ...(env.NATS_URL ? { natsUrl: env.NATS_URL } : {}) };
  const id = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const dbName = `skiff_test_${id}`;
  const databaseUrl = withDatabase(infra.databaseUrl, dbName);
  const natsPrefix = `test${id}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'skiff-test-'));
  const logs: string[] = [];
  // Disks and NAS of its own: storage-svc makes them there, the agent attaches them and its cleanup detaches them.
  const storageEnv = { SKIFF_STORAGE_ROOT: path.join(stateDir, 'storage') };
  const sandboxEnv = services.includes('sandbox-agent') ? await sandboxHostEnv(id, stateDir) : {};
  const edge = services.includes('network-svc') ? testEdgeOf(id) : undefined;
  const edgeEnv = edge ? edgeEnvOf(edge) : {};
  const chartRepository = `127.0.0.1:${await freePort()}`;
  let stack: RunningStack;
  try {
    stack = await startStack({
      stateDir,
      databaseUrl,
      natsUrl: infra.natsUrl,
      redisUrl: infra.redisUrl,
      apiPort: await freePort(),
      services,
      env: {
        SKIFF_NATS_PREFIX: natsPrefix,
        SKIFF_LOG_FORMAT: 'text',
        // Each cluster's DNS on a port of its own, so clusters side by side do not clash.
        SKIFF_DNS_LISTEN: `127.0.0.1:${await freePort()}`,
        // log-svc's query endpoint on a free port of its own choosing (it advertises the one it got).
        SKIFF_LOG_SVC_PORT: '0',
        SKIFF_CHART_REPO_LISTEN: chartRepository,
        // Without the scheduler no controller makes namespaces' default ServiceAccounts: pods are admitted without
        // one, as an upstream API server run alone with --disable-admission-plugins=ServiceAccount.
        ...(services.includes('scheduler') ? {} : { SKIFF_DISABLE_ADMISSION_PLUGINS: 'ServiceAccount' }),
        ...storageEnv,
        ...sandboxEnv,
        ...edgeEnv,
        ...env,
      },
      onLine: (svc, line) => {
        logs.push(`[${svc}] ${line}`);
        // SKIFF_TEST_SERVICE_LOGS=FILE keeps every service line of the test's clusters there, to read while it runs.
        if (process.env.SKIFF_TEST_SERVICE_LOGS)
          appendFileSync(process.env.SKIFF_TEST_SERVICE_LOGS, `[${svc}] ${line}\n`);
      },
    });
  } catch (err) {
    await cleanup();
    throw new Error(`${errorMessage(err)}\n${logs.slice(-40).join('\n')}`);
  }

  async function cleanup(): Promise<void> {
    if (services.includes('sandbox-agent'))
      await cleanupSandboxHost({ ...process.env, ...storageEnv, ...sandboxEnv, SKIFF_NATS_PREFIX: natsPrefix, ...env });
    if (edge) await cleanupEdge({ ...process.env, ...edgeEnv, ...env });
    await dropDatabase(infra.databaseUrl, dbName).catch(() => undefined);
    const nc = await connect({ servers: infra.natsUrl });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(changesStreamNames(natsPrefix).stream).catch(() => undefined);
      await jsm.streams.delete(logStreamNames(natsPrefix).stream).catch(() => undefined);
    } finally {
      await nc.close();
    }
    await deleteRedisKeys(infra.redisUrl, [`${natsPrefix}:*`, `bull:${natsPrefix}-*`]);
    rmSync(stateDir, { recursive: true, force: true });
  }

  if (services.includes('sandbox-agent') && services.includes('scheduler')) {
    // Pods created before the host has registered would only wait for it: start with a Ready node.
    try {
      await eventually(
        async () => {
          const res = await apiRequest(stack, 'GET', '/api/v1/nodes');
          const items =
            (res.body as { items?: { status?: { conditions?: { type: string; status: string }[] } }[] }).items ?? [];
          return items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        },
        60_000,
        'a Ready virtual node',
      );
    } catch (err) {
      await stack.stop();
      await cleanup();
      throw new Error(`${errorMessage(err)}\n${logs.slice(-40).join('\n')}`);
    }
  }
  const cacheDir = path.join(stateDir, 'kube-cache');
  return {
    stack,
    prefix: natsPrefix,
    stateDir,
    databaseUrl,
    ...(edge ? { edge } : {}),
    chartRepository: `http://${chartRepository}`,
    kubectl: (args, opts = {}) =>
      runKubectl(['--kubeconfig', stack.kubeconfig, '--cache-dir', cacheDir, ...args], opts),
    async stop(): Promise<void> {
      await stack.stop();
      await cleanup();
    },
  };
}

export function runKubectl(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    else child.stdin!.end();
  });
}

/** Starts a long-running kubectl (e.g. `get -w`, `port-forward`) and collects its output until stopped. */
export function startKubectl(
  cluster: TestCluster,
  args: string[],
  env: Record<string, string> = {},
): { output: () => string; exited: Promise<number>; stop: () => Promise<void> } {
  let out = '';
  const child = spawn(
    KUBECTL,
    ['--kubeconfig', cluster.stack.kubeconfig, '--cache-dir', path.join(cluster.stateDir, 'kube-cache'), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  return {
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** kubectl run on a terminal (script(1) provides the pty), as a user at a shell runs `exec -it`. */
export interface TerminalKubectl {
  /** Everything the terminal showed so far (kubectl's output, echoes included). */
  screen(): string;
  /** Types `text` into the terminal. */
  type(text: string): void;
  /** kubectl's exit code. */
  exited: Promise<number>;
  stop(): Promise<void>;
}

export function kubectlOnTerminal(
  cluster: TestCluster,
  args: string[],
  size = { cols: 111, rows: 33 },
): TerminalKubectl {
  const argv = [
    KUBECTL,
    '--kubeconfig',
    cluster.stack.kubeconfig,
    '--cache-dir',
    path.join(cluster.stateDir, 'kube-cache'),
    ...args,
  ];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', `stty cols ${size.cols} rows ${size.rows}; exec ${quoted}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (c: Buffer) => (screen += c.toString()));
  child.stderr.on('data', (c: Buffer) => (screen += c.toString()));
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  return {
    screen: () => screen,
    type: (text) => void child.stdin.write(text),
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns a value, or throws after `timeoutMs` with the last error. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** Removes a test cluster's Redis keys (host registry, BullMQ queues) by pattern. */
async function deleteRedisKeys(url: string, patterns: string[]): Promise<void> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    for (const match of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * A sandbox host of the test's own: host id, state dir, bridge and a /24 of the VSwitch that
 * no other cluster on this machine uses at the same time (network-svc hands out the same range).
 */
async function sandboxHostEnv(id: string, stateDir: string): Promise<Record<string, string>> {
  const suffix = id.slice(-6);
  return {
    SKIFF_HOST_ID: `h${suffix}`,
    SKIFF_AGENT_STATE_DIR: path.join(stateDir, 'agent'),
    SKIFF_BRIDGE: `skiffT${suffix}`.slice(0, 15),
    SKIFF_VSWITCH_CIDR: `10.244.${100 + (Number(suffix) % 150)}.0/24`,
    SKIFF_AGENT_PORT: String(await freePort()),
  };
}

/** Runs the agent's cleanup command: removes every sandbox, mount, netns, bridge and nft table it made. */
function cleanupSandboxHost(env: NodeJS.ProcessEnv): Promise<void> {
  return runCleanup('sandbox-agent', env);
}

/** Runs network-svc's cleanup command: removes the edge netns, its veth and routes, and the Ingress proxy. */
function cleanupEdge(env: NodeJS.ProcessEnv): Promise<void> {
  return runCleanup('network-svc', env);
}

function runCleanup(service: ServiceName, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [compiledEntry('apps', service, 'src', 'main.js'), 'cleanup'],
      { env, cwd: repoRoot(), timeout: 60_000 },
      () => resolve(),
    );
  });
}
