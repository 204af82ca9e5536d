export * from './busybox-image.builder';
export * from './host-files-image.builder';
export * from './host-tool-image.builder';
export * from './registry.process';
export * from './test-registry';
