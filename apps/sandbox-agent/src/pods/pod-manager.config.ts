import { ConfigError, EnvReader, SandboxAgentConfig } from '@skiff/config';

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
  };
}
