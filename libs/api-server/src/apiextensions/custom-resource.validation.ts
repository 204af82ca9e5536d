// Custom resources are decoded and checked by their CRD's structural schema: unknown fields
// pruned, defaults applied, then values validated, as the CRD handler does.
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import type { CustomResourceRules } from '../resources/resource-types';
import { applySchemaDefaults, pruneUnknownFields } from '../schema/structural-schema';
import { validateStructural } from '../schema/structural-schema.validator';
import { nameIsDnsSubdomain } from '@skiff/api-machinery';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/object-meta.validation';

/** A pruned and defaulted copy of `obj`. */
export function defaultCustomResource(rules: CustomResourceRules, obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  if (rules.schema) {
    pruneUnknownFields(copy, rules.schema);
    applySchemaDefaults(copy, rules.schema);
  }
  return copy;
}

export function validateCustomResource(rules: CustomResourceRules, obj: KubeObject, old?: KubeObject): StatusCause[] {
  const meta = old
    ? validateObjectMetaUpdate(obj.metadata, old.metadata, 'metadata', false)
    : validateObjectMeta(obj.metadata, nameIsDnsSubdomain, 'metadata', false);
  return [...meta, ...(rules.schema ? validateStructural(obj, rules.schema) : [])];
}
