import { isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { ConfigObjectSource } from './env-resolver';
import { ConfigMapObject, SecretObject } from './pod.types';

/** ConfigMaps and Secrets read through the Kubernetes API; not-found is undefined. */
export class ApiConfigSource implements ConfigObjectSource {
  private readonly configMaps: ResourceClient<ConfigMapObject>;
  private readonly secrets: ResourceClient<SecretObject>;

  constructor(client: KubeClient) {
    this.configMaps = client.resource<ConfigMapObject>({ group: '', version: 'v1', resource: 'configmaps', namespaced: true });
    this.secrets = client.resource<SecretObject>({ group: '', version: 'v1', resource: 'secrets', namespaced: true });
  }

  configMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    return this.configMaps.get(namespace, name).catch(notFoundAsUndefined);
  }

  secret(namespace: string, name: string): Promise<SecretObject | undefined> {
    return this.secrets.get(namespace, name).catch(notFoundAsUndefined);
  }
}

function notFoundAsUndefined(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
