import { isJsonObject, JsonObject, JsonValue, cloneJson } from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { fieldSchema } from '../patch/schema-lookup';
import { FieldPath, isTracked } from './field-path';
import { FieldSet } from './field-set';
import { childSchema, isAtomicMap, itemElement, listKind } from './typed-value';

// structured-merge-diff Merge: the applied configuration laid over the live object. Maps merge
// per key, associative lists and sets merge per item, atomic values are replaced.
export function mergeApplied(
  live: JsonValue | undefined,
  config: JsonValue,
  schema: SchemaNode | undefined,
): JsonValue {
  if (isJsonObject(config)) {
    if (isAtomicMap(schema) || !isJsonObject(live)) return cloneJson(config);
    const out: JsonObject = cloneJson(live);
    for (const [k, v] of Object.entries(config)) out[k] = mergeApplied(own(out, k), v, fieldSchema(schema, k));
    return out;
  }
  if (Array.isArray(config)) {
    const kind = listKind(schema);
    if (kind.kind === 'atomic' || !Array.isArray(live)) return cloneJson(config);
    const id = (item: JsonValue) => itemElement(item, kind) as string;
    const configById = new Map(config.map((c) => [id(c), c]));
    const liveById = new Map(live.map((l) => [id(l), l]));
    const out: JsonValue[] = [];
    const emitted = new Set<string>();
    let li = 0;
    let ci = 0;
    // Live-only items keep their place; applied items follow the applied order.
    while (li < live.length || ci < config.length) {
      if (li < live.length) {
        const lid = id(live[li]);
        if (!configById.has(lid)) {
          out.push(cloneJson(live[li++]));
          continue;
        }
        if (emitted.has(lid)) {
          li++;
          continue;
        }
      }
      if (ci < config.length) {
        const cid = id(config[ci]);
        if (!emitted.has(cid)) {
          emitted.add(cid);
          out.push(
            kind.kind === 'map' ? mergeApplied(liveById.get(cid), config[ci], schema?.items) : cloneJson(config[ci]),
          );
        }
        ci++;
      } else {
        li++;
      }
    }
    return out;
  }
  return config;
}

// Fields the applier owned last time and no longer applies are removed, unless some manager
// (the applier included) still owns them or something below them. Struct fields above a
// previously owned field count too, as upstream's EnsureNamedFieldsAreMembers.
export function pruneUnowned(
  obj: JsonObject,
  lastSet: FieldSet,
  ownedNow: FieldSet,
  schema: SchemaNode | undefined,
): JsonObject {
  const candidates = new Map<string, FieldPath>();
  for (const path of lastSet.toArray()) {
    for (const p of namedAncestors(path, schema)) candidates.set(JSON.stringify(p), p);
    candidates.set(JSON.stringify(path), path);
  }
  const ordered = [...candidates.values()].sort((a, b) => a.length - b.length);
  let out = obj;
  for (const path of ordered) {
    if (!isTracked(path) || ownedNow.coversOrContains(path)) continue;
    out = removePath(out, path, schema) as JsonObject;
  }
  return out;
}

function namedAncestors(path: FieldPath, schema: SchemaNode | undefined): FieldPath[] {
  const out: FieldPath[] = [];
  let s = schema;
  for (let i = 0; i < path.length - 1; i++) {
    const pe = path[i];
    if (pe.startsWith('f:') && s?.properties && Object.prototype.hasOwnProperty.call(s.properties, pe.slice(2))) {
      out.push(path.slice(0, i + 1));
    }
    s = childSchema(s, pe);
  }
  return out;
}

// A copy of `value` without the field or item at `path` (unchanged when it is absent).
export function removePath(value: JsonValue, path: FieldPath, schema: SchemaNode | undefined): JsonValue {
  if (path.length === 0) return value;
  const [pe, ...rest] = path;
  if (pe.startsWith('f:') && isJsonObject(value)) {
    const key = pe.slice(2);
    const child = own(value, key);
    if (child === undefined) return value;
    const out = { ...value };
    if (rest.length === 0) delete out[key];
    else out[key] = removePath(child, rest, fieldSchema(schema, key));
    return out;
  }
  if (Array.isArray(value)) {
    const kind = listKind(schema);
    if (kind.kind === 'atomic') return value;
    if (rest.length === 0) return value.filter((item) => itemElement(item, kind) !== pe);
    return value.map((item) => (itemElement(item, kind) === pe ? removePath(item, rest, schema?.items) : item));
  }
  return value;
}

function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
