import {
  isJsonObject,
  JsonObject,
  JsonValue,
  cloneJson,
  getOwn,
  withoutNulls,
  badPatch,
  patchInternalError,
  unprocessablePatch,
} from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { fieldSchema, goFormat, patchStrategies } from './schema-lookup';
import { DIRECTIVE, mergeListField, orderMerged, setElementOrderKey } from './strategic-merge-list';

const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

// Kubernetes strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch, applied as
// kube-apiserver does: parallel directive lists merged, unmatched nulls ignored). Maps merge
// recursively and null deletes; lists follow the schema's x-kubernetes-patch-strategy and
// patch-merge-key; subtrees without schema behave like a JSON merge patch.
export function applyStrategicMergePatch(
  original: JsonObject,
  patch: JsonObject,
  schema: SchemaNode | undefined,
): JsonObject {
  return mergeMap(cloneJson(original), patch, schema);
}

// `original` is a private copy and is modified in place; `patchIn` is never modified.
function mergeMap(original: JsonObject, patchIn: JsonObject, schema: SchemaNode | undefined): JsonObject {
  const patch: JsonObject = { ...patchIn };
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    delete patch[DIRECTIVE];
    if (directive === 'replace') return mergeMap({}, patch, schema);
    if (directive === 'delete') return {};
    // "merge" is the default; upstream rejects it in maps, we accept it as a no-op.
    if (directive !== 'merge') {
      throw patchInternalError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patchIn)}`);
    }
  }
  if (Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) {
    const retain = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    applyRetainKeys(original, patch, retain);
  }
  applySetElementOrders(original, patch, schema);

  for (const [key, value] of Object.entries(patch)) {
    const isDeleteList = key.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const field = isDeleteList ? key.slice(DELETE_FROM_PRIMITIVE_LIST.length) : key;
    if (isDeleteList && !Array.isArray(value)) throw badPatch('invalid patch format of primitive list');
    if (value === null) {
      delete original[field];
      continue;
    }
    const sub = fieldSchema(schema, field);
    const current = getOwn(original, field);
    if (isDeleteList) {
      if (Array.isArray(current)) original[field] = mergeListField(current, value as JsonValue[], sub, true, mergeMap);
    } else if (current === undefined) {
      original[field] = fromPatch(value, sub);
    } else if (isJsonObject(current) && isJsonObject(value)) {
      original[field] = patchStrategies(sub).has('replace') ? mergeMap({}, value, sub) : mergeMap(current, value, sub);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      original[field] = mergeListField(current, value, sub, false, mergeMap);
    } else {
      original[field] = fromPatch(value, sub);
    }
  }
  return original;
}

// A patch value with nothing to merge into: merged against an empty container so that
// directives and nulls do not leak into the result.
function fromPatch(value: JsonValue, schema: SchemaNode | undefined): JsonValue {
  if (isJsonObject(value)) return mergeMap({}, value, schema);
  if (Array.isArray(value)) return mergeListField([], value, schema, false, mergeMap);
  return withoutNulls(value);
}

// $retainKeys: drop every key of the live map not listed (used with the retainKeys strategy,
// e.g. volume sources and Deployment.spec.strategy).
function applyRetainKeys(original: JsonObject, patch: JsonObject, retain: JsonValue): void {
  if (!Array.isArray(retain)) throw badPatch('invalid patch format of retainKeys');
  const keep = new Set(retain.map((k) => String(k)));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw unprocessablePatch("patch content doesn't match retainKeys list");
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

// $setElementOrder/<field>: merge the parallel list (or delete list) first, then order the
// result; consumed keys are removed from `patch` so the main loop skips them.
function applySetElementOrders(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const order = patch[key];
    delete patch[key];
    const listSchema = fieldSchema(schema, field);
    const mergeKey = setElementOrderKey(order, listSchema);
    const orderList = order as JsonValue[];
    const deleteKey = DELETE_FROM_PRIMITIVE_LIST + field;
    let patchList = getOwn(patch, field);
    let isDeleteList = false;
    if (patchList === undefined && getOwn(patch, deleteKey) !== undefined) {
      patchList = patch[deleteKey];
      isDeleteList = true;
    }
    // Deleting the whole list (null) wins over ordering it.
    if (patchList === null) continue;
    if (patchList !== undefined && !Array.isArray(patchList)) continue;
    const current = getOwn(original, field);
    const originalList = Array.isArray(current) ? current : [];
    const merged = mergeListField(originalList, patchList ?? [], listSchema, isDeleteList, mergeMap);
    const orderKey = mergeKey ?? (merged.some(isJsonObject) ? listSchema?.patchMergeKey : undefined);
    const ordered = orderMerged(merged, orderList, originalList, orderKey);
    if (current !== undefined || ordered.length > 0) original[field] = ordered;
    delete patch[field];
    delete patch[deleteKey];
  }
}
