import { isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { newControllerRef, KindRef } from '@skiff/controller-runtime';

// As upstream: generated names keep room for the 5 random characters the API server adds.
const MAX_GENERATE_NAME_PREFIX = 58;

export interface PodOverrides {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: JsonObject;
}

/** A pod for `owner` from its `spec.template`, controlled by it (controller.GetPodFromTemplate). */
export function podFromTemplate(
  template: unknown,
  owner: KubeObject,
  resource: KindRef,
  overrides: PodOverrides = {},
): KubeObject {
  const t = isJsonObject(template) ? template : {};
  const meta = isJsonObject(t.metadata) ? t.metadata : {};
  const labels = { ...(isJsonObject(meta.labels) ? (meta.labels as Record<string, string>) : {}), ...overrides.labels };
  const annotations = {
    ...(isJsonObject(meta.annotations) ? (meta.annotations as Record<string, string>) : {}),
    ...overrides.annotations,
  };
  const spec = structuredClone(isJsonObject(t.spec) ? t.spec : {});
  const naming = overrides.name
    ? { name: overrides.name }
    : { generateName: `${owner.metadata.name!}-`.slice(0, MAX_GENERATE_NAME_PREFIX) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...naming,
      namespace: owner.metadata.namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(Array.isArray(meta.finalizers) ? { finalizers: meta.finalizers as string[] } : {}),
      ownerReferences: [newControllerRef(owner, resource)],
    },
    spec: { ...spec, ...overrides.spec },
  };
}
