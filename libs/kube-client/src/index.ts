export * from './kube-api.error';
export * from './kube-client';
export * from './kubeconfig.reader';
export * from './resource-client';
export * from './informer';
export * from './kube-client.logger';
export * from './event-recorder';
export * from './leader-elector';
