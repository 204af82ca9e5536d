export * from './api-client';
export * from './nats-server';
export * from './test-cluster';
export * from './fake-clock';
