import { isJsonObject, JsonValue } from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';

// Schema of a map entry: a declared property, else the map's value schema. Undefined means
// "unknown": strategic merge then treats the subtree like a JSON merge patch.
export function fieldSchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!schema) return undefined;
  const prop =
    schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key)
      ? schema.properties[key]
      : undefined;
  if (prop) return prop;
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

// x-kubernetes-patch-strategy is a comma-separated list, e.g. "merge,retainKeys".
export function patchStrategies(schema: SchemaNode | undefined): Set<string> {
  return new Set(
    (schema?.patchStrategy ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

// Go's %v rendering of decoded JSON, so error messages read like upstream's.
export function goFormat(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isJsonObject(value)) {
    const parts = Object.keys(value)
      .sort()
      .map((k) => `${k}:${goFormat(value[k])}`);
    return `map[${parts.join(' ')}]`;
  }
  return String(value);
}
