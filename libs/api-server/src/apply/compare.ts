import { isJsonObject, JsonValue, jsonEqual } from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { fieldSchema } from '../patch/schema-lookup';
import { fieldElement, FieldPath } from './field-path';
import { FieldSet } from './field-set';
import { collectFields, isAtomicMap, itemElement, listKind } from './typed-value';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

// structured-merge-diff Compare: which fields an update added, changed or removed.
export function compareValues(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  schema: SchemaNode | undefined,
): Comparison {
  const added: FieldPath[] = [];
  const modified: FieldPath[] = [];
  const removed: FieldPath[] = [];
  walk(before, after, schema, [], { added, modified, removed });
  return { added: FieldSet.of(added), modified: FieldSet.of(modified), removed: FieldSet.of(removed) };
}

interface Sink {
  added: FieldPath[];
  modified: FieldPath[];
  removed: FieldPath[];
}

// A whole subtree appearing or disappearing.
function subtree(value: JsonValue, schema: SchemaNode | undefined, path: FieldPath, out: FieldPath[]): void {
  collectFields(value, schema, path, out, true);
}

function walk(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  schema: SchemaNode | undefined,
  path: FieldPath,
  sink: Sink,
): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) return subtree(after as JsonValue, schema, path, sink.added);
  if (after === undefined) return subtree(before, schema, path, sink.removed);
  if (isJsonObject(before) && isJsonObject(after) && !isAtomicMap(schema)) {
    for (const [k, v] of Object.entries(after))
      walk(own(before, k), v, fieldSchema(schema, k), [...path, fieldElement(k)], sink);
    for (const [k, v] of Object.entries(before)) {
      if (own(after, k) === undefined) subtree(v, fieldSchema(schema, k), [...path, fieldElement(k)], sink.removed);
    }
    return;
  }
  const kind = listKind(schema);
  if (Array.isArray(before) && Array.isArray(after) && kind.kind !== 'atomic') {
    const beforeItems = new Map(before.map((i) => [itemElement(i, kind) as string, i]));
    const afterItems = new Map(after.map((i) => [itemElement(i, kind) as string, i]));
    for (const [pe, item] of afterItems) {
      const old = beforeItems.get(pe);
      if (old === undefined) subtree(item, schema?.items, [...path, pe], sink.added);
      else if (kind.kind === 'map') walk(old, item, schema?.items, [...path, pe], sink);
    }
    for (const [pe, item] of beforeItems) {
      if (!afterItems.has(pe)) subtree(item, schema?.items, [...path, pe], sink.removed);
    }
    return;
  }
  if (!jsonEqual(before, after)) sink.modified.push(path);
}

function own(obj: { [key: string]: JsonValue }, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
