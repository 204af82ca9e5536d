import { SandboxAgentConfig } from '@skiff/config';
import { virtualNodeName } from '../pods/pod-placement';

/** The resource metrics' settings (`MetricsConfig`). */
export const METRICS_CONFIG = Symbol('METRICS_CONFIG');

export interface MetricsConfig {
  /** How often pods' cgroups are sampled (SKIFF_METRICS_RESOLUTION_SECONDS). */
  resolutionMs: number;
  /** The virtual node this host's pods are bound to: the summary's node. */
  nodeName: string;
}

export function metricsConfigOf(agent: Pick<SandboxAgentConfig, 'zone' | 'metricsResolutionSeconds'>): MetricsConfig {
  return { resolutionMs: agent.metricsResolutionSeconds * 1000, nodeName: virtualNodeName(agent) };
}
