// Quantities in the canonical form kube-apiserver stores, wherever a schema places them.
import { canonicalQuantity } from '@skiff/api-machinery';
import type { SchemaNode } from './schema-node';

const QUANTITY_DEFINITION = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/**
 * `obj` with every resource.Quantity the schema places in it in canonical form, as kube-apiserver
 * stores what it decodes (`cpu: 1` → `"1"`, `memory: 1.5Gi` → `"1536Mi"`). The input is not modified.
 */
export function withCanonicalQuantities<T>(obj: T, schema: SchemaNode): T {
  return canonicalize(obj, schema) as T;
}

function canonicalize(value: unknown, schema: SchemaNode): unknown {
  if (schema.ref === QUANTITY_DEFINITION)
    return typeof value === 'string' || typeof value === 'number' ? canonicalQuantity(value) : value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => canonicalize(v, schema.items as SchemaNode)) : value;
  if (typeof value !== 'object' || value === null) return value;
  const { properties, additionalProperties } = schema;
  if (!properties && typeof additionalProperties !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const sub = properties?.[key] ?? (typeof additionalProperties === 'object' ? additionalProperties : undefined);
    out[key] = sub ? canonicalize(child, sub) : child;
  }
  return out;
}
