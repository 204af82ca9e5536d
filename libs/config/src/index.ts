export * from './cluster-credentials';
export * from './config-error';
export * from './env-reader';
export * from './skiff-config';
export * from './sandbox-agent-config';
export * from './bearer-token';
export * from './boot';
export * from './storage-svc-config';
