export * from './process-runner';
export * from './host-command';
export * from './nftables';
export * from './cgroup-v1';
export * from './cgroup-usage.reader';
export * from './pod-metrics.sampler';
