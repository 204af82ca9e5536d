import {
  ApiError,
  isJsonObject,
  KubeObject,
  LabelSelector,
  labelSelectorFromObject,
  labelSelectorFromSet,
  labelSelectorToString,
} from '@skiff/api-machinery';
import { ResourceType, ScalePaths } from '@skiff/api-server';

// The built-in workloads: replicas in spec and status, the selector as a LabelSelector object.
const WORKLOAD_PATHS: ScalePaths = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };

function segments(path: string): string[] {
  return path.replace(/^\./, '').split('.');
}

function valueAt(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const s of segments(path)) cur = isJsonObject(cur) ? cur[s] : undefined;
  return cur;
}

function withValue(obj: KubeObject, path: string, value: unknown): KubeObject {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const parts = segments(path);
  let cur = copy;
  for (const s of parts.slice(0, -1)) {
    if (!isJsonObject(cur[s])) cur[s] = {};
    cur = cur[s] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
  return copy as KubeObject;
}

function selectorOf(type: ResourceType, obj: KubeObject): string {
  if (type.custom) {
    const path = type.custom.scale?.labelSelectorPath;
    const v = path ? valueAt(obj, path) : undefined;
    return typeof v === 'string' ? v : '';
  }
  const spec = isJsonObject(obj.spec) ? obj.spec : {};
  if (!isJsonObject(spec.selector)) return '';
  // A ReplicationController selects by an equality map: labels.SelectorFromSet(spec.selector).String().
  if (type.group === '' && type.kind === 'ReplicationController')
    return labelSelectorToString(labelSelectorFromSet(spec.selector as Record<string, string>));
  return labelSelectorToString(labelSelectorFromObject(spec.selector as LabelSelector));
}

/** The autoscaling/v1 Scale view of a workload or custom resource, as the /scale subresource serves it. */
export function toScale(type: ResourceType, obj: KubeObject): KubeObject {
  const paths = type.custom?.scale ?? WORKLOAD_PATHS;
  const specReplicas = valueAt(obj, paths.specReplicasPath);
  const statusReplicas = valueAt(obj, paths.statusReplicasPath);
  const selector = selectorOf(type, obj);
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
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, ...(selector ? { selector } : {}) },
  };
}

/** Applies a written Scale back onto its workload or custom resource. */
export function fromScale(type: ResourceType, obj: KubeObject, scale: unknown): KubeObject {
  if (!isJsonObject(scale) || !isJsonObject(scale.spec)) {
    throw ApiError.badRequest('the body must be an autoscaling/v1 Scale with spec.replicas');
  }
  const replicas = scale.spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw ApiError.invalid('autoscaling', 'Scale', obj.metadata.name ?? '', [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      },
    ]);
  }
  return withValue(obj, (type.custom?.scale ?? WORKLOAD_PATHS).specReplicasPath, replicas);
}
