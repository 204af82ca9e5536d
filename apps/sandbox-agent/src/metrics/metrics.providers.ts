import { Provider } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { SandboxAgentConfig } from '@skiff/config';
import { CgroupUsageReader, CgroupV1, PodMetricsSampler } from '@skiff/host-tools';
import { AGENT_CONFIG } from '../platform/agent.providers';
import { PodManager } from '../pods/pod-manager.service';
import { METRICS_CONFIG, MetricsConfig, metricsConfigOf } from './metrics.config';
import { metricsPodsOf } from './metrics-target';

/** The cgroup sampler behind /stats/summary and /metrics/cadvisor. Needs AGENT_CONFIG, PodManager and Clock. */
export const metricsProviders: Provider[] = [
  {
    provide: METRICS_CONFIG,
    useFactory: (c: SandboxAgentConfig) => metricsConfigOf(c),
    inject: [AGENT_CONFIG],
  },
  {
    provide: PodMetricsSampler,
    // The pod manager's records are read afresh each round: the pod code knows nothing of the sampler.
    useFactory: (c: MetricsConfig, pods: PodManager, clock: Clock) =>
      new PodMetricsSampler(new CgroupUsageReader(new CgroupV1()), () => metricsPodsOf(pods.known()), clock, c),
    inject: [METRICS_CONFIG, PodManager, Clock],
  },
];
