// Pruning and defaulting of custom resources by their structural schema, as the CRD handler
// decodes them: fields the schema does not know are dropped (unless
// x-kubernetes-preserve-unknown-fields), then `default`s fill what is missing.
import { SchemaNode } from './schema-node';

type Json = Record<string, unknown>;

const TYPE_META = ['apiVersion', 'kind', 'metadata'];

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Removes, in place, what `schema` does not specify. Returns the removed paths
 * (`spec.foo`, `spec.list[0].bar`). The root and embedded resources keep apiVersion, kind, metadata.
 */
export function pruneUnknownFields(value: unknown, schema: SchemaNode, path = ''): string[] {
  const pruned: string[] = [];
  prune(value, schema, path, pruned, path === '');
  return pruned;
}

function prune(value: unknown, s: SchemaNode, path: string, pruned: string[], resource = false): void {
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => prune(item, s.items!, `${path}[${i}]`, pruned));
    return;
  }
  if (!isObject(value)) return;
  const embedded = resource || s.embeddedResource === true;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (embedded && TYPE_META.includes(k)) continue;
    const prop = s.properties?.[k];
    if (prop) {
      prune(v, prop, at, pruned);
    } else if (typeof s.additionalProperties === 'object') {
      prune(v, s.additionalProperties, at, pruned);
    } else if (!s.preserveUnknownFields && s.additionalProperties !== true) {
      delete value[k];
      pruned.push(at);
    }
  }
}

/** Fills in, in place, the `default`s of missing fields (nulls of non-nullable fields count as missing). */
export function applySchemaDefaults(value: unknown, s: SchemaNode): void {
  if (Array.isArray(value)) {
    if (s.items) for (const item of value) applySchemaDefaults(item, s.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    // Upstream drops nulls of non-nullable fields before defaulting.
    if (value[k] === null && !prop.nullable) delete value[k];
    if (!(k in value) && prop.default !== undefined) value[k] = structuredClone(prop.default);
    if (k in value) applySchemaDefaults(value[k], prop);
  }
  if (typeof s.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(value)) if (!s.properties?.[k]) applySchemaDefaults(v, s.additionalProperties);
  }
}
