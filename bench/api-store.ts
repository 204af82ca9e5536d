import { ConfigMapStore } from './load';
import { KubeHttpClient, KubeObjectLike, KubeRequestError } from './kube-http';
import { errorMessage } from '@skiff/api-machinery';

const MERGE_PATCH = 'application/merge-patch+json';

export function configMapsPath(ns: string, name?: string): string {
  return `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
}

export function configMap(
  ns: string,
  name: string,
  data: Record<string, string>,
  resourceVersion?: string,
): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: { app: 'skiff-bench' }, ...(resourceVersion ? { resourceVersion } : {}) },
    data,
  };
}

/** ConfigMap writes through the Kubernetes API over one keep-alive client. */
export class ApiConfigMapStore implements ConfigMapStore {
  constructor(private readonly http: KubeHttpClient) {}

  async create(ns: string, name: string, data: Record<string, string>): Promise<string> {
    const res = await this.http.send<KubeObjectLike>('POST', configMapsPath(ns), configMap(ns, name, data));
    return rvOf(res.body);
  }

  async get(ns: string, name: string): Promise<string> {
    const res = await this.http.send<KubeObjectLike>('GET', configMapsPath(ns, name));
    return rvOf(res.body);
  }

  async update(ns: string, name: string, resourceVersion: string, data: Record<string, string>): Promise<string> {
    const res = await this.http.send<KubeObjectLike>(
      'PUT',
      configMapsPath(ns, name),
      configMap(ns, name, data, resourceVersion),
    );
    return rvOf(res.body);
  }

  async patch(ns: string, name: string, data: Record<string, string>): Promise<string> {
    const res = await this.http.send<KubeObjectLike>('PATCH', configMapsPath(ns, name), { data }, MERGE_PATCH);
    return rvOf(res.body);
  }

  async remove(ns: string, name: string): Promise<void> {
    await this.http.send<unknown>('DELETE', configMapsPath(ns, name));
  }

  describeError(err: unknown): { method: string; path: string; status: number; message: string } {
    if (err instanceof KubeRequestError)
      return { method: err.method, path: err.path, status: err.status, message: err.message };
    return { method: '?', path: '?', status: 0, message: errorMessage(err) };
  }
}

export function rvOf(obj: KubeObjectLike): string {
  const rv = obj.metadata.resourceVersion;
  if (!rv) throw new Error(`no resourceVersion on ${obj.metadata.name}`);
  return rv;
}
