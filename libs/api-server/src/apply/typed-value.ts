import { isJsonObject, JsonObject, JsonValue } from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { fieldSchema, patchStrategies } from '../patch/schema-lookup';
import { fieldElement, FieldPath, isTracked, keyElement, valueElement } from './field-path';
import { FieldSet } from './field-set';

export type ListKind = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

// How server-side apply treats a list: x-kubernetes-list-type first; built-in fields without it
// fall back to their strategic-merge metadata, as upstream's OpenAPI → SMD conversion does;
// anything else (including schema-less lists) is atomic.
export function listKind(schema: SchemaNode | undefined): ListKind {
  if (schema?.listType === 'map' && schema.listMapKeys?.length) return { kind: 'map', keys: schema.listMapKeys };
  if (schema?.listType === 'set') return { kind: 'set' };
  if (schema?.listType === 'atomic') return { kind: 'atomic' };
  if (patchStrategies(schema).has('merge')) {
    return schema?.patchMergeKey ? { kind: 'map', keys: [schema.patchMergeKey] } : { kind: 'set' };
  }
  return { kind: 'atomic' };
}

export function isAtomicMap(schema: SchemaNode | undefined): boolean {
  return schema?.mapType === 'atomic';
}

// A granular map whose entries are user keys (labels) rather than struct fields (spec).
export function isPlainMap(schema: SchemaNode | undefined): boolean {
  return !schema?.properties;
}

// The built-in list-map keys that the server defaults; a missing one still identifies the item.
const KEY_DEFAULTS: Record<string, JsonValue> = { protocol: 'TCP' };

export function itemKey(item: JsonValue, keys: string[]): string {
  const values: Record<string, JsonValue> = {};
  if (isJsonObject(item)) {
    for (const k of keys) {
      const v = Object.prototype.hasOwnProperty.call(item, k) ? item[k] : KEY_DEFAULTS[k];
      if (v !== undefined) values[k] = v;
    }
  }
  return keyElement(values);
}

// The path element of a list item, or undefined for atomic lists.
export function itemElement(item: JsonValue, kind: ListKind): string | undefined {
  if (kind.kind === 'map') return itemKey(item, kind.keys);
  if (kind.kind === 'set') return valueElement(item);
  return undefined;
}

// Every field a value sets (structured-merge-diff ToFieldSet): scalars, atomic lists and
// maps are leaves; list items are members themselves; granular maps only through children.
// With `markNewMaps` (a subtree that did not exist before an update), user-keyed maps are
// members themselves, as upstream marks maps that appeared with ".".
export function collectFields(
  value: JsonValue,
  schema: SchemaNode | undefined,
  path: FieldPath,
  out: FieldPath[],
  markNewMaps = false,
): void {
  if (isJsonObject(value)) {
    // An empty map is owned as itself (e.g. `emptyDir: {}`), so it can be pruned later.
    if (isAtomicMap(schema) || Object.keys(value).length === 0) {
      if (path.length > 0) out.push(path);
      return;
    }
    if (markNewMaps && path.length > 0 && isPlainMap(schema)) out.push(path);
    for (const [k, v] of Object.entries(value))
      collectFields(v, fieldSchema(schema, k), [...path, fieldElement(k)], out, markNewMaps);
    return;
  }
  if (Array.isArray(value)) {
    const kind = listKind(schema);
    if (kind.kind === 'atomic') {
      out.push(path);
      return;
    }
    for (const item of value) {
      const p = [...path, itemElement(item, kind) as string];
      out.push(p);
      if (kind.kind === 'map' && isJsonObject(item)) collectFields(item, schema?.items, p, out, markNewMaps);
    }
    return;
  }
  out.push(path);
}

export function childOf(
  value: JsonValue | undefined,
  pe: string,
  schema: SchemaNode | undefined,
): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (pe.startsWith('f:')) return isJsonObject(value) ? ownField(value, pe.slice(2)) : undefined;
  if (!Array.isArray(value)) return undefined;
  const kind = listKind(schema);
  return value.find((item) => itemElement(item, kind) === pe);
}

export function childSchema(schema: SchemaNode | undefined, pe: string): SchemaNode | undefined {
  return pe.startsWith('f:') ? fieldSchema(schema, pe.slice(2)) : schema?.items;
}

function ownField(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

// The tracked fields an object sets, as they would be recorded for an applier.
export function fieldSetOf(value: JsonValue, schema: SchemaNode | undefined): FieldSet {
  const paths: FieldPath[] = [];
  collectFields(value, schema, [], paths);
  return FieldSet.of(paths).filter(isTracked);
}
