import { isNotFound, KubeClient } from '@skiff/kube-client';

interface ApiResource {
  name: string;
  kind: string;
}

/** A kind's resource as discovery names it (a RESTMapping). */
export interface ScalableResource {
  /** `/apis/<group>/<version>` or `/api/v1`. */
  base: string;
  resource: string;
}

/** The group of an apiVersion (`apps/v1` → `apps`, `v1` → ''); throws on a malformed one, as schema.ParseGroupVersion. */
export function groupOf(apiVersion: string): string {
  const parts = apiVersion.split('/');
  if (parts.length > 2) throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
  return parts.length === 2 ? parts[0] : '';
}

/** The resource serving `kind` in `apiVersion`, found through discovery; undefined when there is none. */
export async function discoverResource(
  client: KubeClient,
  apiVersion: string,
  kind: string,
): Promise<ScalableResource | undefined> {
  const base = groupOf(apiVersion) === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
  const list = await client.request<{ resources?: ApiResource[] }>('GET', base).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  const found = (list?.resources ?? []).find((r) => r.kind === kind && !r.name.includes('/'));
  return found && { base, resource: found.name };
}

/** The path of an object's /scale subresource. */
export function scalePath(target: ScalableResource, namespace: string | undefined, name: string): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${target.base}${ns}/${target.resource}/${encodeURIComponent(name)}/scale`;
}
