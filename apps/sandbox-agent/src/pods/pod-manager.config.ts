import { ConfigError, EnvReader, SandboxAgentConfig } from '@skiff/config';
import { readFileSync } from 'node:fs';
import { ClusterDnsSettings, parseResolvConf } from './pod-dns';

export interface PodManagerConfig extends Pick<
  SandboxAgentConfig,
  'hostId' | 'zone' | 'stateDir' | 'natsPrefix' | 'capacity' | 'startConcurrency'
> {
  /** RuntimeClass for pods that name none: `runc` or `gvisor` (SKIFF_DEFAULT_RUNTIME_CLASS). */
  defaultRuntimeClass: 'runc' | 'gvisor';
  /** Image whose `sleep` the pause container runs. */
  pauseImage: string;
  statusIntervalMs: number;
  resyncIntervalMs: number;
  volumeRefreshMs: number;
  /** The cluster DNS pods are told about (SKIFF_CLUSTER_DNS, SKIFF_CLUSTER_DOMAIN) and the host's resolver. */
  dns: ClusterDnsSettings;
}

export function podManagerConfigOf(agent: SandboxAgentConfig, env = new EnvReader()): PodManagerConfig {
  const defaultRuntimeClass = env.string('SKIFF_DEFAULT_RUNTIME_CLASS', 'runc');
  if (defaultRuntimeClass !== 'runc' && defaultRuntimeClass !== 'gvisor') {
    throw new ConfigError('SKIFF_DEFAULT_RUNTIME_CLASS', `must be "runc" or "gvisor", got "${defaultRuntimeClass}"`);
  }
  return {
    hostId: agent.hostId,
    zone: agent.zone,
    stateDir: agent.stateDir,
    natsPrefix: agent.natsPrefix,
    capacity: agent.capacity,
    startConcurrency: agent.startConcurrency,
    defaultRuntimeClass,
    pauseImage: 'busybox',
    statusIntervalMs: 1_000,
    resyncIntervalMs: 30_000,
    volumeRefreshMs: 10_000,
    dns: {
      nameserver: env.string('SKIFF_CLUSTER_DNS', '10.96.0.10'),
      domain: env.string('SKIFF_CLUSTER_DOMAIN', 'cluster.local'),
      host: parseResolvConf(hostResolvConf()),
    },
  };
}

// dnsPolicy Default gives pods the host's resolver.
function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
