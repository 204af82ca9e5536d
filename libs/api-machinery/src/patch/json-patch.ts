import { isJsonObject, JsonObject, JsonValue } from '../meta/object';
import { ApiError } from '../meta/status';
import { cloneJson, getOwn, jsonEqual } from './json-value';
import { badPatch, unprocessablePatch } from './patch-errors';

// Upstream caps a JSON patch at 10000 operations (maxJSONPatchOperations) with a 413.
const MAX_OPERATIONS = 10000;

type Container = JsonObject | JsonValue[];

interface Operation {
  op: string;
  path: string;
  value?: JsonValue;
  from?: string;
}

// RFC 6902 JSON patch. As kube-apiserver (evanphx/json-patch): a document that is not a
// list of objects is a 400; every failure while applying (unknown op, missing path,
// failed `test`) is a 422. The input is never modified.
export function applyJsonPatch(target: JsonValue, operations: unknown): JsonValue {
  if (!Array.isArray(operations) || !operations.every((o) => isJsonObject(o))) {
    throw badPatch('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  if (operations.length > MAX_OPERATIONS) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${operations.length}`,
    );
  }
  let doc = cloneJson(target);
  for (const raw of operations as JsonObject[]) {
    doc = applyOperation(doc, toOperation(raw));
  }
  return doc;
}

function toOperation(raw: JsonObject): Operation {
  const op = getOwn(raw, 'op');
  const path = getOwn(raw, 'path');
  if (typeof op !== 'string') throw unprocessablePatch('operation missing op field');
  if (typeof path !== 'string') throw unprocessablePatch(`operation missing path field`);
  const from = getOwn(raw, 'from');
  return {
    op,
    path,
    value: getOwn(raw, 'value'),
    from: typeof from === 'string' ? from : undefined,
  };
}

function applyOperation(doc: JsonValue, op: Operation): JsonValue {
  switch (op.op) {
    case 'add':
      return add(doc, op.path, requireValue(op), 'add');
    case 'remove':
      remove(doc, op.path, 'remove');
      return doc;
    case 'replace': {
      const value = requireValue(op);
      if (op.path === '') return cloneJson(value);
      if (resolve(doc, op.path) === undefined) {
        throw unprocessablePatch(`replace operation does not apply: doc is missing key: ${op.path}: missing value`);
      }
      remove(doc, op.path, 'replace');
      return add(doc, op.path, value, 'replace');
    }
    case 'move': {
      const from = requireFrom(op);
      const value = resolve(doc, from);
      if (value === undefined) {
        throw unprocessablePatch(`move operation does not apply: doc is missing from path: ${from}: missing value`);
      }
      if (op.path.startsWith(`${from}/`)) {
        throw unprocessablePatch(`move operation does not apply: "from" is a prefix of "path"`);
      }
      remove(doc, from, 'move');
      return add(doc, op.path, value, 'move');
    }
    case 'copy': {
      const from = requireFrom(op);
      const value = resolve(doc, from);
      if (value === undefined) {
        throw unprocessablePatch(`copy operation does not apply: doc is missing from path: "${from}": missing value`);
      }
      return add(doc, op.path, cloneJson(value), 'copy');
    }
    case 'test': {
      const actual = resolve(doc, op.path);
      if (actual === undefined || !jsonEqual(actual, op.value ?? null)) {
        throw unprocessablePatch(`testing value ${op.path} failed: test failed`);
      }
      return doc;
    }
    default:
      throw unprocessablePatch(`Unexpected kind: ${op.op}`);
  }
}

function requireValue(op: Operation): JsonValue {
  if (op.value === undefined) throw unprocessablePatch(`${op.op} operation missing value field`);
  return cloneJson(op.value);
}

function requireFrom(op: Operation): string {
  if (op.from === undefined) throw unprocessablePatch(`${op.op} operation missing from field`);
  return op.from;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw unprocessablePatch(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

function child(value: JsonValue, token: string): JsonValue | undefined {
  if (Array.isArray(value)) {
    const i = arrayIndex(token, value.length, false);
    return i === undefined ? undefined : value[i];
  }
  return isJsonObject(value) ? getOwn(value, token) : undefined;
}

function resolve(doc: JsonValue, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = doc;
  for (const token of parsePointer(path)) {
    if (cur === undefined) return undefined;
    cur = child(cur, token);
  }
  return cur;
}

function parentOf(doc: JsonValue, path: string, verb: string): { parent: Container; key: string } {
  const tokens = parsePointer(path);
  const key = tokens.pop() as string;
  const parent = resolve(doc, tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''));
  if (parent === undefined || parent === null || typeof parent !== 'object') {
    throw unprocessablePatch(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  return { parent, key };
}

function add(doc: JsonValue, path: string, value: JsonValue, verb: string): JsonValue {
  if (path === '') return value;
  const { parent, key } = parentOf(doc, path, verb);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length, true);
    if (i === undefined) throw unprocessablePatch(`${verb} operation does not apply: index out of bounds: ${path}`);
    parent.splice(i, 0, value);
  } else {
    parent[key] = value;
  }
  return doc;
}

function remove(doc: JsonValue, path: string, verb: string): void {
  const missing = () =>
    unprocessablePatch(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
  if (path === '') throw missing();
  const { parent, key } = parentOf(doc, path, verb);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length, false);
    if (i === undefined) throw missing();
    parent.splice(i, 1);
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) throw missing();
    delete parent[key];
  }
}
