import { KubeObject } from '@skiff/api-machinery';
import { isNotFound, KubeClient } from '@skiff/kube-client';

/** autoscaling/v1 Scale, the body of any resource's /scale subresource. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** An object by apiVersion, kind and name (a scaleTargetRef). */
export interface CrossVersionObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
}

interface ApiResource {
  name: string;
  kind: string;
}

/**
 * client-go's scale client, small: finds the resource serving a kind through discovery (custom resources too) and
 * reads or writes its /scale subresource.
 */
export class ScaleClient {
  constructor(private readonly client: KubeClient) {}

  async get(namespace: string | undefined, ref: CrossVersionObjectReference): Promise<Scale> {
    return this.client.request<Scale>('GET', await this.scalePath(namespace, ref));
  }

  /** PUT: optimistic concurrency on the Scale's resourceVersion. */
  async update(namespace: string | undefined, ref: CrossVersionObjectReference, scale: Scale): Promise<Scale> {
    return this.client.request<Scale>('PUT', await this.scalePath(namespace, ref), scale);
  }

  private async scalePath(namespace: string | undefined, ref: CrossVersionObjectReference): Promise<string> {
    const parts = ref.apiVersion.split('/');
    if (parts.length > 2 || !parts.every(Boolean)) throw new Error(`unexpected GroupVersion string: ${ref.apiVersion}`);
    const group = parts.length === 2 ? parts[0] : '';
    const base = group === '' ? `/api/${ref.apiVersion}` : `/apis/${ref.apiVersion}`;
    const noMatch = () => new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    const list = await this.client.request<{ resources?: ApiResource[] }>('GET', base).catch((err: unknown) => {
      throw isNotFound(err) ? noMatch() : err;
    });
    const resources = list.resources ?? [];
    const resource = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
    if (!resource) throw noMatch();
    if (!resources.some((r) => r.name === `${resource.name}/scale`))
      throw new Error(
        `${group ? `${resource.name}.${group}` : resource.name} does not implement the scale subresource`,
      );
    const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${scope}/${resource.name}/${encodeURIComponent(ref.name)}/scale`;
  }
}
