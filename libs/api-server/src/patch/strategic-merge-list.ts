import {
  isJsonObject,
  JsonObject,
  JsonValue,
  getOwn,
  jsonEqual,
  withoutNulls,
  badPatch,
  patchInternalError,
  unprocessablePatch,
} from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { goFormat, patchStrategies } from './schema-lookup';

export const DIRECTIVE = '$patch';

// Merges one patch map into one original map; injected to avoid an import cycle.
export type MapMerger = (original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined) => JsonObject;

// A list field: merged by key / as a set when its patch strategy is "merge", replaced otherwise.
export function mergeListField(
  original: JsonValue[],
  patch: JsonValue[],
  listSchema: SchemaNode | undefined,
  deleteFromPrimitiveList: boolean,
  mergeMap: MapMerger,
): JsonValue[] {
  if (deleteFromPrimitiveList) return original.filter((v) => !patch.some((p) => jsonEqual(p, v)));
  if (!patchStrategies(listSchema).has('merge')) return patch.map(withoutNulls);
  return mergeSlice(original, patch, listSchema, mergeMap);
}

function elementKind(original: JsonValue[], patch: JsonValue[]): 'map' | 'scalar' {
  let kind: 'map' | 'scalar' | undefined;
  for (const v of [...original, ...patch]) {
    if (Array.isArray(v)) throw unprocessablePatch('lists of lists are not supported');
    const k = isJsonObject(v) ? 'map' : 'scalar';
    if (kind && kind !== k)
      throw patchInternalError(`mixed element types in list: ${goFormat([...original, ...patch])}`);
    kind = k;
  }
  return kind ?? 'scalar';
}

function mergeKeyValue(item: JsonObject, mergeKey: string): JsonValue {
  const v = getOwn(item, mergeKey);
  if (v === undefined)
    throw patchInternalError(`map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
  return v;
}

function mergeSlice(
  originalIn: JsonValue[],
  patch: JsonValue[],
  listSchema: SchemaNode | undefined,
  mergeMap: MapMerger,
): JsonValue[] {
  if (originalIn.length === 0 && patch.length === 0) return [];
  const itemSchema = listSchema?.items;
  if (elementKind(originalIn, patch) === 'scalar') {
    const merged: JsonValue[] = [];
    for (const v of [...originalIn, ...patch]) if (!merged.some((m) => jsonEqual(m, v))) merged.push(v);
    return orderMerged(merged, patch, originalIn, undefined);
  }
  const mergeKey = listSchema?.patchMergeKey;
  if (!mergeKey) throw patchInternalError('cannot merge lists without merge key');
  let original = originalIn;
  const regular: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    const directive = getOwn(item, DIRECTIVE);
    if (directive === undefined) {
      regular.push(item);
    } else if (directive === 'delete') {
      const key = mergeKeyValue(item, mergeKey);
      original = original.filter((o) => !(isJsonObject(o) && jsonEqual(getOwn(o, mergeKey), key)));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive !== 'merge') {
      // "merge" is the default; upstream rejects it in lists, we accept it as a no-op.
      throw patchInternalError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
    }
  }
  if (replace) return regular.map((item) => mergeMap({}, item, itemSchema));
  const merged: JsonValue[] = [...original];
  for (const item of regular) {
    const key = mergeKeyValue(item, mergeKey);
    const at = merged.findIndex((o) => isJsonObject(o) && jsonEqual(getOwn(o, mergeKey), key));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, itemSchema);
    else merged.push(mergeMap({}, item, itemSchema));
  }
  return orderMerged(merged, regular, original, mergeKey);
}

// Identity of a list element: its merge key value for maps, itself for scalars.
function identity(item: JsonValue, mergeKey: string | undefined): JsonValue | undefined {
  if (mergeKey === undefined) return item;
  return isJsonObject(item) ? getOwn(item, mergeKey) : undefined;
}

function indexIn(order: JsonValue[], item: JsonValue, mergeKey: string | undefined): number {
  const id = identity(item, mergeKey);
  return order.findIndex((o) => jsonEqual(identity(o, mergeKey), id));
}

function sortByOrder(items: JsonValue[], order: JsonValue[], mergeKey: string | undefined): JsonValue[] {
  const found = items.filter((i) => indexIn(order, i, mergeKey) >= 0);
  const rest = items.filter((i) => indexIn(order, i, mergeKey) < 0);
  found.sort((a, b) => indexIn(order, a, mergeKey) - indexIn(order, b, mergeKey));
  return [...found, ...rest];
}

// Upstream normalizeElementOrder: items named by `patchOrder` follow that order; the others
// keep the live order and are interleaved by their position in the live list
// (precedence: $setElementOrder > order in the patch list > live order).
export function orderMerged(
  merged: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string | undefined,
): JsonValue[] {
  const inPatch = merged.filter((m) => indexIn(patchOrder, m, mergeKey) >= 0);
  const serverOnly = merged.filter((m) => indexIn(patchOrder, m, mergeKey) < 0);
  const right = sortByOrder(inPatch, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

// Validates a $setElementOrder list and returns the merge key used to read it.
export function setElementOrderKey(order: JsonValue, listSchema: SchemaNode | undefined): string | undefined {
  if (!Array.isArray(order)) throw badPatch('invalid patch format of setElementOrder list');
  if (order.length === 0 || !order.every(isJsonObject)) {
    if (order.some((o) => isJsonObject(o) || Array.isArray(o)))
      throw badPatch('invalid patch format of setElementOrder list');
    return undefined;
  }
  const mergeKey = listSchema?.patchMergeKey;
  if (!mergeKey) throw patchInternalError('cannot merge lists without merge key');
  for (const o of order) mergeKeyValue(o as JsonObject, mergeKey);
  return mergeKey;
}
