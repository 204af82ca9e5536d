export * from './api-client';
export * from './api-refusal';
export * from './nats-server';
export * from './test-cluster';
export * from './fake-clock';
// Test databases get every owner's tables, as a cluster's does.
export { migrate } from '@skiff/migrations';
export * from './run-command';
export * from './test-edge';
export * from './fake-cluster';
export * from './stats-summary-agent.double';
export * from './hostile/hostile-requests';
export * from './hostile/hostile-checks';
export * from './hostile/hostile-run';
export * from './user-command';
export * from './pod-probes';
