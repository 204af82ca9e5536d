export * from './readiness';
export * from './service-process';
export * from './stack';
export * from './repo-root';
