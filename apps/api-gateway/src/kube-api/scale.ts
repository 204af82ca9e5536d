import { ApiError, isJsonObject, KubeObject, LabelSelector, labelSelectorFromObject, labelSelectorToString } from '@skiff/api-machinery';

/** The autoscaling/v1 Scale view of a workload, as the /scale subresource serves it. */
export function toScale(obj: KubeObject): KubeObject {
  const spec = isJsonObject(obj.spec) ? obj.spec : {};
  const status = isJsonObject(obj.status) ? obj.status : {};
  const selector = isJsonObject(spec.selector) ? labelSelectorToString(labelSelectorFromObject(spec.selector as LabelSelector)) : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, ...(selector ? { selector } : {}) },
  };
}

/** Applies a written Scale back onto its workload. */
export function fromScale(obj: KubeObject, scale: unknown): KubeObject {
  if (!isJsonObject(scale) || !isJsonObject(scale.spec)) {
    throw ApiError.badRequest('the body must be an autoscaling/v1 Scale with spec.replicas');
  }
  const replicas = scale.spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw ApiError.invalid('autoscaling', 'Scale', obj.metadata.name ?? '', [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  const spec = isJsonObject(obj.spec) ? obj.spec : {};
  return { ...obj, spec: { ...spec, replicas } };
}
