import { isIP } from 'node:net';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';

export interface InfraConfig {
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
}

export interface ApiGatewayConfig extends InfraConfig {
  host: string;
  port: number;
  stateDir: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** The cluster CA: sandbox agents' serving certificates are checked against it. */
  caFile: string;
  adminTokenFile: string;
  /** Static bearer tokens, upstream's --token-auth-file CSV (`token,user,uid,"group1,group2"`); unset: none. */
  tokenAuthFile?: string;
  /** The ServiceAccount token signing key (PEM, EC P-256 or RSA): ES256/RS256 JWTs. */
  serviceAccountKeyFile: string;
  /** The `iss` of ServiceAccount tokens; also the API server's audience (upstream's --service-account-issuer). */
  serviceAccountIssuer: string;
  /** Admission plugins turned off (upstream's --disable-admission-plugins); known: ServiceAccount. */
  disabledAdmissionPlugins: string[];
  /** Change events kept in memory per gateway for watch resumption. */
  watchWindow: number;
  /** Change events the JetStream stream retains. */
  streamMaxMsgs: number;
  /** Outbox history kept in Postgres, in change events. */
  historyKeep: number;
  logFormat: 'json' | 'text';
  /** Names this cluster's NATS subjects and streams (clusters may share a NATS server). */
  natsPrefix: string;
  /** This replica's name in its `kube-system/skiff-apiserver-<identity>` Lease. */
  identity: string;
  /** The address pods reach this replica at, listed in `default/kubernetes`' Endpoints (default: the VSwitch gateway, the pods' host). */
  advertiseAddress: string;
  /** The ClusterIP range; its first address is the `default/kubernetes` Service's. */
  serviceCidr: string;
  /** The EncryptionConfiguration for resources encrypted at rest (kube-apiserver's --encryption-provider-config). */
  encryptionConfigFile: string;
  audit: AuditLogConfig;
}

/** kube-apiserver's --audit-log-path, --audit-policy-file, --audit-log-maxsize and --audit-log-maxbackup. */
export interface AuditLogConfig {
  /** The audit log file; '' (SKIFF_AUDIT_LOG_PATH=off) turns auditing off. */
  path: string;
  /** Policy file (audit.k8s.io/v1 Policy); unset means the built-in default policy. */
  policyFile?: string;
  /** Rotate when the file reaches this many megabytes. */
  maxSizeMb: number;
  /** Rotated files kept. */
  maxBackups: number;
}

export function loadInfraConfig(env = new EnvReader()): InfraConfig {
  return {
    databaseUrl: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/skiff', ['postgres:', 'postgresql:']),
    natsUrl: env.url('NATS_URL', 'nats://127.0.0.1:4222', ['nats:', 'tls:']),
    redisUrl: env.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  };
}

export function loadApiGatewayConfig(env = new EnvReader()): ApiGatewayConfig {
  const advertiseAddress = ipOf(
    env,
    'SKIFF_API_ADVERTISE_ADDRESS',
    firstHostOf(ipv4CidrOf(env, 'SKIFF_VSWITCH_CIDR', '10.244.0.0/16', 8, 28)),
  );
  const stateDir = path.resolve(env.string('SKIFF_STATE_DIR', '.skiff'));
  const logFormat = env.string('SKIFF_LOG_FORMAT', 'json');
  return {
    ...loadInfraConfig(env),
    host: env.string('SKIFF_API_HOST', '127.0.0.1'),
    port: env.int('SKIFF_API_PORT', 6443, 0, 65535),
    stateDir,
    tlsCertFile: env.string('SKIFF_TLS_CERT', path.join(stateDir, 'pki', 'apiserver.crt')),
    tlsKeyFile: env.string('SKIFF_TLS_KEY', path.join(stateDir, 'pki', 'apiserver.key')),
    caFile: env.string('SKIFF_CA_FILE', path.join(stateDir, 'pki', 'ca.crt')),
    adminTokenFile: env.string('SKIFF_ADMIN_TOKEN_FILE', path.join(stateDir, 'admin.token')),
    ...(env.optional('SKIFF_TOKEN_AUTH_FILE') ? { tokenAuthFile: env.optional('SKIFF_TOKEN_AUTH_FILE') } : {}),
    serviceAccountKeyFile: env.string('SKIFF_SERVICE_ACCOUNT_KEY_FILE', path.join(stateDir, 'pki', 'sa.key')),
    serviceAccountIssuer: env.url('SKIFF_SERVICE_ACCOUNT_ISSUER', 'https://kubernetes.default.svc', ['https:']),
    disabledAdmissionPlugins: disabledAdmissionPluginsOf(env),
    watchWindow: env.int('SKIFF_WATCH_WINDOW', 20000, 100),
    streamMaxMsgs: env.int('SKIFF_STREAM_MAX_MSGS', 200000, 1000),
    historyKeep: env.int('SKIFF_HISTORY_KEEP', 100000, 1000),
    logFormat: logFormat === 'text' ? 'text' : 'json',
    natsPrefix: natsPrefixOf(env),
    identity: env.string('SKIFF_API_IDENTITY', `api-gateway-${process.pid}`),
    advertiseAddress,
    serviceCidr: ipv4CidrOf(env, 'SKIFF_SERVICE_CIDR', '10.96.0.0/16', 12, 28),
    encryptionConfigFile: path.resolve(
      env.string('SKIFF_ENCRYPTION_CONFIG', path.join(stateDir, 'encryption-config.yaml')),
    ),
    audit: {
      path: auditPathOf(env.string('SKIFF_AUDIT_LOG_PATH', path.join(stateDir, 'audit', 'audit.log'))),
      policyFile: env.optional('SKIFF_AUDIT_POLICY_FILE'),
      maxSizeMb: env.int('SKIFF_AUDIT_LOG_MAXSIZE', 100, 1),
      maxBackups: env.int('SKIFF_AUDIT_LOG_MAXBACKUP', 10, 0),
    },
  };
}

function auditPathOf(raw: string): string {
  return raw.trim() === 'off' ? '' : path.resolve(raw);
}

const ADMISSION_PLUGINS = ['ServiceAccount'];

function disabledAdmissionPluginsOf(env: EnvReader): string[] {
  const names = env
    .string('SKIFF_DISABLE_ADMISSION_PLUGINS', '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const n of names)
    if (!ADMISSION_PLUGINS.includes(n))
      throw new ConfigError(
        'SKIFF_DISABLE_ADMISSION_PLUGINS',
        `unknown admission plugin "${n}" (known: ${ADMISSION_PLUGINS.join(', ')})`,
      );
  return names;
}

/** The first host address of an IPv4 CIDR (10.96.0.0/16 → 10.96.0.1). */
export function firstHostOf(cidr: string): string {
  return nthHostOf(cidr, 1);
}

export interface NetworkSvcConfig {
  databaseUrl: string;
  natsUrl: string;
  natsPrefix: string;
  /** The VSwitch that pod ENIs get addresses from; its first usable address is the gateway. */
  vswitchCidr: string;
  /** The range Service ClusterIPs come from (10.96.0.1 is the API server's, 10.96.0.10 the cluster DNS's). */
  serviceCidr: string;
  /** An allocation whose pod is gone from the API is released only after it is this old. */
  gcGraceSeconds: number;
  /** How often leaked allocations are looked for; 0 turns the collector off. */
  gcIntervalSeconds: number;
  logFormat: 'json' | 'text';
  /** This replica's identity in the leader-election Lease of network-svc's controllers. */
  identity: string;
  /** The cluster DNS server (every replica serves it, leader or not). */
  dns: ClusterDnsConfig;
  /** Where SLB, Ingress and EIP addresses live. */
  edge: EdgeConfig;
}

/**
 * The edge: a network namespace Skiff makes, holding the SLB and EIP pools, joined to the host by a veth (the host
 * routes the pools and the internet side into it) and, on its `inet0` bridge, to "the internet" — in tests and
 * benchmarks, client namespaces the project makes. Nothing of it is bound on a host uplink.
 */
export interface EdgeConfig {
  /** SKIFF_EDGE_NETNS. */
  netns: string;
  /** The host's end of the veth (SKIFF_EDGE_LINK); the edge's end is `host0`. */
  hostLink: string;
  /** A /30 for that veth (SKIFF_EDGE_TRANSIT_CIDR): the host has its first address, the edge the second. */
  transitCidr: string;
  /** LoadBalancer Services and Ingress classes get addresses from here (SKIFF_SLB_POOL). */
  slbPool: string;
  /** Pods' elastic IPs (SKIFF_EIP_POOL). */
  eipPool: string;
  /** The internet side (SKIFF_EDGE_INTERNET_CIDR): the edge is its first address, on `inet0`. */
  internetCidr: string;
  /** The Ingress proxy's config, certificates and sockets (SKIFF_EDGE_STATE_DIR; default /var/lib/skiff/<netns>). */
  stateDir: string;
}

export interface ClusterDnsConfig {
  /** The zone the server is authoritative for (SKIFF_CLUSTER_DOMAIN). */
  clusterDomain: string;
  /** UDP and TCP listen address (SKIFF_DNS_LISTEN, `host:port`); loopback by default. */
  listenHost: string;
  listenPort: number;
  /**
   * Forward names outside the cluster to upstream resolvers (SKIFF_DNS_FORWARD, by default on exactly when pods
   * have egress, SKIFF_POD_EGRESS); off means REFUSED.
   */
  forward: boolean;
  /** Upstream resolvers as `ip` or `ip:port` (SKIFF_DNS_UPSTREAMS); unset means the host's /etc/resolv.conf. */
  upstreams?: { host: string; port: number }[];
  /** The kube-system/kube-dns Service's address (SKIFF_CLUSTER_DNS), the nameserver pods are told about. */
  serviceIp: string;
  /** Where pods reach this replica (SKIFF_DNS_ADVERTISE_ADDRESS; default the VSwitch gateway, the pods' host). */
  advertiseAddress: string;
}

export function loadNetworkSvcConfig(env = new EnvReader()): NetworkSvcConfig {
  const { databaseUrl, natsUrl } = loadInfraConfig(env);
  return {
    databaseUrl,
    natsUrl,
    natsPrefix: natsPrefixOf(env),
    vswitchCidr: ipv4CidrOf(env, 'SKIFF_VSWITCH_CIDR', '10.244.0.0/16', 8, 28),
    serviceCidr: ipv4CidrOf(env, 'SKIFF_SERVICE_CIDR', '10.96.0.0/16', 12, 28),
    gcGraceSeconds: env.int('SKIFF_IPAM_GC_GRACE_SECONDS', 300, 0),
    gcIntervalSeconds: env.int('SKIFF_IPAM_GC_INTERVAL_SECONDS', 60, 0),
    logFormat: env.string('SKIFF_LOG_FORMAT', 'json') === 'text' ? 'text' : 'json',
    identity: env.string('SKIFF_NETWORK_SVC_IDENTITY', `network-svc-${process.pid}`),
    dns: loadClusterDnsConfig(env),
    edge: loadEdgeConfig(env),
  };
}

export function loadEdgeConfig(env = new EnvReader()): EdgeConfig {
  const netns = env.string('SKIFF_EDGE_NETNS', 'skiff-edge');
  if (!/^skiff[-a-zA-Z0-9_]{0,40}$/.test(netns))
    throw new ConfigError('SKIFF_EDGE_NETNS', `must start with "skiff", got "${netns}"`);
  return {
    netns,
    hostLink: edgeLinkOf(env),
    transitCidr: ipv4CidrOf(env, 'SKIFF_EDGE_TRANSIT_CIDR', '198.18.255.0/30', 30, 30),
    slbPool: ipv4CidrOf(env, 'SKIFF_SLB_POOL', '198.18.0.0/24', 16, 30),
    eipPool: ipv4CidrOf(env, 'SKIFF_EIP_POOL', '198.19.0.0/24', 16, 30),
    internetCidr: ipv4CidrOf(env, 'SKIFF_EDGE_INTERNET_CIDR', '198.18.254.0/24', 16, 30),
    stateDir: path.resolve(env.string('SKIFF_EDGE_STATE_DIR', path.join('/var/lib/skiff', netns))),
  };
}

/** The host's end of the edge veth (SKIFF_EDGE_LINK): network-svc makes it, sandbox hosts let pods' edge traffic out to it. */
export function edgeLinkOf(env = new EnvReader()): string {
  const link = env.string('SKIFF_EDGE_LINK', 'skiffedge');
  if (!/^skiff[a-zA-Z0-9]{0,10}$/.test(link))
    throw new ConfigError('SKIFF_EDGE_LINK', `must start with "skiff" and fit an interface name, got "${link}"`);
  return link;
}

/** The `n`th host address of an IPv4 CIDR (10.96.0.0/16, 10 → 10.96.0.10). */
export function nthHostOf(cidr: string, n: number): string {
  const octets = cidr.split('/')[0].split('.').map(Number);
  const v = octets.reduce((acc, o) => acc * 256 + o, 0) + n;
  return [24, 16, 8, 0].map((shift) => Math.floor(v / 2 ** shift) % 256).join('.');
}

function ipOf(env: EnvReader, name: string, fallback: string): string {
  const ip = env.string(name, fallback);
  if (isIP(ip) === 0) throw new ConfigError(name, `must be an IP address, got "${ip}"`);
  return ip;
}

export function loadClusterDnsConfig(env = new EnvReader()): ClusterDnsConfig {
  const domain = env.string('SKIFF_CLUSTER_DOMAIN', 'cluster.local').toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(domain) || domain.length > 200)
    throw new ConfigError('SKIFF_CLUSTER_DOMAIN', `not a DNS domain name: "${domain}"`);
  const listen = hostPortOf('SKIFF_DNS_LISTEN', env.string('SKIFF_DNS_LISTEN', '127.0.0.1:10053'));
  const forwardRaw = env.string('SKIFF_DNS_FORWARD', env.string('SKIFF_POD_EGRESS', 'false')).trim().toLowerCase();
  if (!['true', 'false', '1', '0'].includes(forwardRaw))
    throw new ConfigError('SKIFF_DNS_FORWARD', `expected true or false, got "${forwardRaw}"`);
  const upstreamsRaw = env.optional('SKIFF_DNS_UPSTREAMS');
  const upstreams = upstreamsRaw
    ?.split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => hostPortOf('SKIFF_DNS_UPSTREAMS', /^[\d.]+$/.test(u) || !u.includes(':') ? `${u}:53` : u));
  if (upstreams?.length === 0) throw new ConfigError('SKIFF_DNS_UPSTREAMS', 'no resolver given');
  return {
    clusterDomain: domain,
    listenHost: listen.host,
    listenPort: listen.port,
    forward: forwardRaw === 'true' || forwardRaw === '1',
    ...(upstreams ? { upstreams } : {}),
    serviceIp: ipOf(
      env,
      'SKIFF_CLUSTER_DNS',
      nthHostOf(ipv4CidrOf(env, 'SKIFF_SERVICE_CIDR', '10.96.0.0/16', 12, 28), 10),
    ),
    advertiseAddress: ipOf(
      env,
      'SKIFF_DNS_ADVERTISE_ADDRESS',
      firstHostOf(ipv4CidrOf(env, 'SKIFF_VSWITCH_CIDR', '10.244.0.0/16', 8, 28)),
    ),
  };
}

/** `1.2.3.4:53` or `[::1]:53`: an IP literal (no names: nothing to resolve at boot) and a port 1–65535. */
function hostPortOf(name: string, raw: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(raw.trim()) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(raw.trim());
  if (!m) throw new ConfigError(name, `expected an IP address and port like 127.0.0.1:10053 or [::1]:53, got "${raw}"`);
  const [, host, portText] = m;
  if (!host.includes(':') && host.split('.').some((o) => Number(o) > 255))
    throw new ConfigError(name, `not an IPv4 address: "${host}"`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new ConfigError(name, `port must be between 1 and 65535, got ${port}`);
  return { host, port };
}

/** An IPv4 network in CIDR notation whose host bits are zero, with a prefix in [minPrefix, maxPrefix]. */
export function ipv4CidrOf(
  env: EnvReader,
  name: string,
  fallback: string,
  minPrefix: number,
  maxPrefix: number,
): string {
  const raw = env.string(name, fallback).trim();
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(raw);
  if (!m) throw new ConfigError(name, `expected an IPv4 CIDR like ${fallback}, got "${raw}"`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw new ConfigError(name, `not an IPv4 address: "${raw}"`);
  if (prefix < minPrefix || prefix > maxPrefix)
    throw new ConfigError(name, `prefix length must be between ${minPrefix} and ${maxPrefix}, got /${prefix}`);
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  // 10.244.3.0/16 is ambiguous (typo or intent?): ask for the network address itself.
  if (value % hostBits !== 0) throw new ConfigError(name, `host bits are set in "${raw}"`);
  return `${octets.join('.')}/${prefix}`;
}

export function natsPrefixOf(env: EnvReader): string {
  const prefix = env.string('SKIFF_NATS_PREFIX', 'skiff');
  if (!/^[a-z][a-z0-9]{0,30}$/.test(prefix))
    throw new ConfigError('SKIFF_NATS_PREFIX', `must be lowercase letters and digits, got "${prefix}"`);
  return prefix;
}

export interface SchedulerConfig {
  redisUrl: string;
  natsPrefix: string;
  /** Zones; one virtual node each. */
  zones: string[];
  /** RuntimeClass a pod gets when it names none. */
  defaultRuntimeClass: string;
  /** How long pods on a host that stopped heartbeating keep their phase before they are Failed (NodeLost). */
  hostLostGraceSeconds: number;
  /** This replica's identity in the leader-election Lease. */
  identity: string;
  /** How often each HorizontalPodAutoscaler is looked at (kube-controller-manager's --horizontal-pod-autoscaler-sync-period). */
  hpaSyncSeconds: number;
  /** The cluster CA, published to every namespace as the kube-root-ca.crt ConfigMap. */
  caFile: string;
  /** The project's chart repository (docs/charts.md): the charts it serves and where (SKIFF_CHART_REPO_LISTEN). */
  chartRepository: { dir: string; host: string; port: number };
}

export function loadSchedulerConfig(env = new EnvReader()): SchedulerConfig {
  const zones = env
    .string('SKIFF_ZONES', 'zone-a')
    .split(',')
    .map((z) => z.trim())
    .filter(Boolean);
  for (const z of zones) {
    if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(z))
      throw new ConfigError('SKIFF_ZONES', `"${z}" is not a valid zone name (lowercase letters, digits, '-')`);
  }
  if (zones.length === 0) throw new ConfigError('SKIFF_ZONES', 'at least one zone is required');
  const defaultRuntimeClass = env.string('SKIFF_DEFAULT_RUNTIME_CLASS', 'runc');
  if (defaultRuntimeClass !== 'runc' && defaultRuntimeClass !== 'gvisor') {
    throw new ConfigError('SKIFF_DEFAULT_RUNTIME_CLASS', `must be "runc" or "gvisor", got "${defaultRuntimeClass}"`);
  }
  return {
    redisUrl: loadInfraConfig(env).redisUrl,
    natsPrefix: natsPrefixOf(env),
    zones,
    defaultRuntimeClass,
    hostLostGraceSeconds: env.int('SKIFF_HOST_LOST_GRACE_SECONDS', 300, 1),
    identity: env.string('SKIFF_SCHEDULER_IDENTITY', `scheduler-${process.pid}`),
    hpaSyncSeconds: env.int('SKIFF_HPA_SYNC_SECONDS', 15, 1),
    caFile: env.string('SKIFF_CA_FILE', path.join('.skiff', 'pki', 'ca.crt')),
    chartRepository: {
      dir: env.string('SKIFF_CHART_DIR', 'charts'),
      ...hostPortOf('SKIFF_CHART_REPO_LISTEN', env.string('SKIFF_CHART_REPO_LISTEN', '127.0.0.1:8879')),
    },
  };
}
