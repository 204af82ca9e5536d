import { Provider } from '@nestjs/common';
import { SandboxAgentConfig } from '@skiff/config';
import { AGENT_CONFIG } from '../platform/agent.providers';
import { PodManager } from '../pods/pod-manager.service';
import { CgroupV1 } from '../runtime/cgroup-v1';
import { CgroupUsageReader } from './cgroup-usage.reader';
import { METRICS_CONFIG, METRICS_POD_SOURCE, metricsConfigOf } from './metrics.config';
import { MetricsPodSource, metricsPodsOf } from './metrics-target';
import { PodMetricsSampler } from './pod-metrics.sampler';

/** The cgroup sampler behind /stats/summary and /metrics/cadvisor. Needs AGENT_CONFIG, PodManager and Clock. */
export const metricsProviders: Provider[] = [
  {
    provide: METRICS_CONFIG,
    useFactory: (c: SandboxAgentConfig) => metricsConfigOf(c),
    inject: [AGENT_CONFIG],
  },
  {
    provide: METRICS_POD_SOURCE,
    useFactory:
      (pods: PodManager): MetricsPodSource =>
      () =>
        metricsPodsOf(pods.known()),
    inject: [PodManager],
  },
  { provide: CgroupUsageReader, useFactory: () => new CgroupUsageReader(new CgroupV1()) },
  PodMetricsSampler,
];
