// validateObject: per-kind create and update validation, as the API server runs it after defaulting.
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import type { ResourceType } from '../resources/resource-types';
import { validateCustomResource } from '../apiextensions/custom-resource.validation';
import { KIND_VALIDATORS } from './kind-validators';
import { nameIsPathSegment } from '@skiff/api-machinery';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.validation';
import { validatePodEphemeralContainersUpdate } from './pod.validation';

// Updates through a subresource with rules of their own (upstream: the subresource's strategy), keyed by
// `group/Kind/subresource`.
const SUBRESOURCE_UPDATE_VALIDATORS: Record<string, (obj: KubeObject, old: KubeObject) => StatusCause[]> = {
  '/Pod/ephemeralcontainers': validatePodEphemeralContainersUpdate,
};

/**
 * Field causes for `obj` (and, on update, against `old`). Empty means valid.
 * Expects `obj` to have gone through `applyDefaults` first, as upstream validates defaulted objects.
 * `subresource`: the update arrives through it (e.g. pods/ephemeralcontainers) and follows its rules.
 */
export function validateObject(
  type: Pick<ResourceType, 'group' | 'kind' | 'custom'>,
  obj: KubeObject,
  old?: KubeObject,
  subresource?: string,
): StatusCause[] {
  if (type.custom) return validateCustomResource(type.custom, obj, old);
  const viaSubresource =
    old && subresource ? SUBRESOURCE_UPDATE_VALIDATORS[`${type.group}/${type.kind}/${subresource}`] : undefined;
  if (viaSubresource && old) return viaSubresource(obj, old);
  const v = KIND_VALIDATORS[`${type.group}/${type.kind}`];
  if (!v) {
    // Kinds without rules of their own (ControllerRevision…): metadata only.
    return old
      ? validateObjectMetaUpdate(obj.metadata, old.metadata)
      : validateObjectMeta(obj.metadata, nameIsPathSegment);
  }
  if (!old) return [...validateObjectMeta(obj.metadata, v.name), ...v.create(obj)];
  if (v.update) return v.update(obj, old);
  return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...v.create(obj)];
}
