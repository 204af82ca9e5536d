export * from './kube-api.error';
export * from './kube-client';
export * from './kubeconfig.reader';
export * from './resource-client';
export * from './kube-client.logger';
