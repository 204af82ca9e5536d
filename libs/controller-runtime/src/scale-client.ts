import { KubeObject } from '@skiff/api-machinery';
import { ignoreNotFound, KubeClient } from '@skiff/kube-client';

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

  /**
   * The path of the object's /scale. The kind is mapped by group, as upstream's REST mapper does: in the reference's
   * version, else in the version the group prefers now (a version the group no longer serves still finds its kind).
   */
  async scalePath(namespace: string | undefined, ref: CrossVersionObjectReference): Promise<string> {
    const parts = ref.apiVersion.split('/');
    if (parts.length > 2 || !parts.every(Boolean)) throw new Error(`unexpected GroupVersion string: ${ref.apiVersion}`);
    const group = parts.length === 2 ? parts[0] : '';
    const mapping =
      (await this.discover(ref.apiVersion, ref.kind)) ??
      (group ? await this.inPreferredVersion(group, ref.apiVersion, ref.kind) : undefined);
    if (!mapping) throw new Error(`no matches for kind "${ref.kind}" in group "${group}"`);
    const { base, resource, scalable } = mapping;
    if (!scalable)
      throw new Error(`${group ? `${resource}.${group}` : resource} does not implement the scale subresource`);
    const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${scope}/${resource}/${encodeURIComponent(ref.name)}/scale`;
  }

  private async discover(apiVersion: string, kind: string): Promise<Mapping | undefined> {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.client.request<{ resources?: ApiResource[] }>('GET', base).catch(ignoreNotFound);
    const resources = list?.resources ?? [];
    const found = resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) return undefined;
    return { base, resource: found.name, scalable: resources.some((r) => r.name === `${found.name}/scale`) };
  }

  private async inPreferredVersion(group: string, apiVersion: string, kind: string): Promise<Mapping | undefined> {
    const info = await this.client
      .request<{ preferredVersion?: { groupVersion?: string } }>('GET', `/apis/${encodeURIComponent(group)}`)
      .catch(ignoreNotFound);
    const preferred = info?.preferredVersion?.groupVersion;
    return preferred && preferred !== apiVersion ? this.discover(preferred, kind) : undefined;
  }
}

interface Mapping {
  base: string;
  resource: string;
  scalable: boolean;
}
