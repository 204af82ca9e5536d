export * from './api-client';
export * from './test-cluster';
