export * from './busybox-image.builder';
export * from './registry.process';
export * from './test-registry';
