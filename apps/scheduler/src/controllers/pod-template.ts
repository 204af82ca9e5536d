import { KubeObject } from '@skiff/api-machinery';
import { newControllerRef, KindRef } from '@skiff/controller-runtime';
import type { Pod, PodSpec, PodTemplateSpec } from '@skiff/kube-types';

// As upstream: generated names keep room for the 5 random characters the API server adds.
const MAX_GENERATE_NAME_PREFIX = 58;

export interface PodOverrides {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Partial<PodSpec>;
}

/** A pod for `owner` from its `spec.template`, controlled by it (controller.GetPodFromTemplate). */
export function podFromTemplate(
  template: PodTemplateSpec | undefined,
  owner: KubeObject,
  resource: KindRef,
  overrides: PodOverrides = {},
): Pod {
  const meta = template?.metadata ?? {};
  const labels = { ...meta.labels, ...overrides.labels };
  const annotations = { ...meta.annotations, ...overrides.annotations };
  // Validation gives every served template a spec; a template without one yields a pod the API server refuses.
  const spec = structuredClone(template?.spec ?? ({} as PodSpec));
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
      ...(meta.finalizers ? { finalizers: meta.finalizers } : {}),
      ownerReferences: [newControllerRef(owner, resource)],
    },
    spec: { ...spec, ...overrides.spec },
  };
}
