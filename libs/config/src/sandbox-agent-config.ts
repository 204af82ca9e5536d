import { cpus, hostname, totalmem } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';
import { edgeLinkOf, ipv4CidrOf, loadInfraConfig, natsPrefixOf } from './skiff-config';
import { storageRootOf } from './storage-svc-config';

export interface RegistryMirror {
  /** Registry host as it appears in image references, e.g. "docker.io". */
  registry: string;
  /** Where to pull it from instead, e.g. "127.0.0.1:5000". */
  endpoint: string;
  /** Plain HTTP / no TLS verification. */
  insecure: boolean;
}

export interface SandboxAgentConfig {
  redisUrl: string;
  natsUrl: string;
  natsPrefix: string;
  hostId: string;
  zone: string;
  /** Where images, pod state, volumes and logs live. */
  stateDir: string;
  /** The cluster CA (SKIFF_CA_FILE); the agent's certificates are issued by it, its key beside it. */
  caFile: string;
  /** Internal HTTPS endpoint (logs, exec, attach, port-forward) the API server proxies to. */
  port: number;
  /** Where that endpoint listens (loopback unless the API server runs elsewhere, as in docker compose). */
  listenHost: string;
  /** The name or address the API server dials (registered in the host registry, and in the serving certificate). */
  address: string;
  bridge: string;
  /** The edge's veth on this host (SKIFF_EDGE_LINK): pods' packets to SLB, EIP and internet addresses go out there. */
  edgeLink: string;
  vswitchCidr: string;
  /** Where storage-svc keeps cloud disk images and NAS file systems (SKIFF_STORAGE_ROOT). */
  storageRoot: string;
  /**
   * How NAS exports reach pods (SKIFF_NAS_BACKEND): `directory` (default) finds the export's directory under the
   * storage root, as this installation's NAS serves them; `nfs` mounts `server:path` with the kernel's NFS client.
   */
  nasBackend: 'directory' | 'nfs';
  allowEgress: boolean;
  mirrors: RegistryMirror[];
  capacity: { cpuMilli: number; memoryBytes: number; pods: number };
  /** Sync jobs worked on at once (most of a deletion is waiting out grace periods). */
  concurrency: number;
  /** Sandboxes and containers being started at once: starting is CPU-bound (runc, CNI), more only thrash. */
  startConcurrency: number;
  logFormat: 'json' | 'text';
  /**
   * The ports of the host's own services that pods reach through system Services (default/kubernetes → the API
   * server, kube-system/kube-dns → the cluster DNS), on the host's loopback: SKIFF_API_SERVER's and SKIFF_DNS_LISTEN's.
   */
  hostServicePorts: number[];
  /** How often the agent samples its pods' cgroups for resource metrics (SKIFF_METRICS_RESOLUTION_SECONDS, 1..60). */
  metricsResolutionSeconds: number;
}

export function loadSandboxAgentConfig(env = new EnvReader()): SandboxAgentConfig {
  const { redisUrl, natsUrl } = loadInfraConfig(env);
  const hostId = env.string(
    'SKIFF_HOST_ID',
    `host-${hostname()
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')}`.slice(0, 40),
  );
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(hostId))
    throw new ConfigError('SKIFF_HOST_ID', `must be a DNS label, got "${hostId}"`);
  const bridge = env.string('SKIFF_BRIDGE', 'skiff0');
  if (!/^skiff[a-zA-Z0-9]{0,10}$/.test(bridge))
    throw new ConfigError(
      'SKIFF_BRIDGE',
      `must start with "skiff" and fit an interface name (15 characters), got "${bridge}"`,
    );
  return {
    redisUrl,
    natsUrl,
    natsPrefix: natsPrefixOf(env),
    hostId,
    zone: env.string('SKIFF_ZONE', 'zone-a'),
    stateDir: path.resolve(env.string('SKIFF_AGENT_STATE_DIR', path.join('/var/lib/skiff', hostId))),
    caFile: env.string('SKIFF_CA_FILE', path.join('.skiff', 'pki', 'ca.crt')),
    port: env.int('SKIFF_AGENT_PORT', 10250, 0, 65535),
    listenHost: hostOf(env, 'SKIFF_AGENT_HOST', '127.0.0.1'),
    address: hostOf(env, 'SKIFF_AGENT_ADDRESS', '127.0.0.1'),
    bridge,
    edgeLink: edgeLinkOf(env),
    vswitchCidr: ipv4CidrOf(env, 'SKIFF_VSWITCH_CIDR', '10.244.0.0/16', 8, 28),
    storageRoot: storageRootOf(env),
    nasBackend: nasBackendOf(env),
    allowEgress: env.string('SKIFF_POD_EGRESS', 'false') === 'true',
    mirrors: mirrorsOf(env),
    capacity: {
      cpuMilli: env.int('SKIFF_HOST_CPU_MILLI', cpus().length * 1000, 100),
      memoryBytes: env.int('SKIFF_HOST_MEMORY_BYTES', totalmem(), 64 * 1024 * 1024),
      pods: env.int('SKIFF_HOST_MAX_PODS', 250, 1),
    },
    concurrency: env.int('SKIFF_AGENT_CONCURRENCY', 32, 1, 256),
    startConcurrency: env.int('SKIFF_AGENT_START_CONCURRENCY', cpus().length * 2, 1, 256),
    logFormat: env.string('SKIFF_LOG_FORMAT', 'json') === 'text' ? 'text' : 'json',
    hostServicePorts: [
      Number(new URL(env.url('SKIFF_API_SERVER', 'https://127.0.0.1:6443', ['https:'])).port || 443),
      Number(/:(\d+)$/.exec(env.string('SKIFF_DNS_LISTEN', '127.0.0.1:10053'))?.[1] ?? 10053),
    ],
    metricsResolutionSeconds: env.int('SKIFF_METRICS_RESOLUTION_SECONDS', 15, 1, 60),
  };
}

function nasBackendOf(env: EnvReader): 'directory' | 'nfs' {
  const backend = env.string('SKIFF_NAS_BACKEND', 'directory');
  if (backend !== 'directory' && backend !== 'nfs')
    throw new ConfigError('SKIFF_NAS_BACKEND', `must be "directory" or "nfs", got "${backend}"`);
  return backend;
}

// "docker.io=http://127.0.0.1:5000,ghcr.io=https://mirror.example" → mirrors.
function mirrorsOf(env: EnvReader): RegistryMirror[] {
  const raw = env.string('SKIFF_REGISTRY_MIRRORS', 'docker.io=http://127.0.0.1:5000');
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^([a-z0-9.-]+(?::\d+)?)=(https?):\/\/([a-z0-9.-]+(?::\d+)?)$/i.exec(entry);
      if (!m) throw new ConfigError('SKIFF_REGISTRY_MIRRORS', `expected registry=http(s)://host:port, got "${entry}"`);
      return { registry: m[1], endpoint: m[3], insecure: m[2] === 'http' };
    });
}

function hostOf(env: EnvReader, name: string, fallback: string): string {
  const value = env.string(name, fallback);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/.test(value))
    throw new ConfigError(name, `must be a host name or IP address, got "${value}"`);
  return value;
}
