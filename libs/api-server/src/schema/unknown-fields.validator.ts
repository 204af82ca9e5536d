import { SchemaNode } from './schema-node';

/**
 * Fields of `obj` that `schema` does not declare, as upstream strict decoding names them
 * (`.spec.replicaz`, `.spec.template.spec.containers[0].imagez`). Maps (additionalProperties),
 * x-kubernetes-preserve-unknown-fields and free-form objects accept any key.
 */
export function findUnknownFields(obj: unknown, schema: SchemaNode): string[] {
  const out: string[] = [];
  walk(obj, schema, '', out);
  return out;
}

function walk(value: unknown, schema: SchemaNode, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => walk(item, schema.items as SchemaNode, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const { properties, additionalProperties } = schema;
  // An object schema with neither properties nor a value schema is free-form (FieldsV1, RawExtension).
  if (!properties && additionalProperties === undefined) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    const known = properties?.[key];
    if (known) walk(child, known, childPath, out);
    else if (typeof additionalProperties === 'object') walk(child, additionalProperties, childPath, out);
    else if (additionalProperties === true || schema.preserveUnknownFields) continue;
    else out.push(childPath);
  }
}

/**
 * `obj` without the fields `schema` does not declare: what kube-apiserver's decoder keeps of a
 * built-in object when unknown fields only warn (or are ignored). The input is not modified.
 */
export function withoutUnknownFields<T>(obj: T, schema: SchemaNode): T {
  return prune(obj, schema) as T;
}

function prune(value: unknown, schema: SchemaNode): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((item) => prune(item, schema.items as SchemaNode)) : value;
  if (typeof value !== 'object' || value === null) return value;
  const { properties, additionalProperties } = schema;
  if (!properties && additionalProperties === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const known = properties?.[key];
    if (known) out[key] = prune(child, known);
    else if (typeof additionalProperties === 'object') out[key] = prune(child, additionalProperties);
    else if (additionalProperties === true || schema.preserveUnknownFields) out[key] = child;
  }
  return out;
}
