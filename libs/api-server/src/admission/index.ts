export * from './limit-ranger';
export * from './pod-security';
