import { isJsonObject, JsonObject, JsonValue } from '../meta/object';
import { cloneJson, getOwn } from './json-value';

// RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces.
// The result never shares structure with either input.
export function applyJsonMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  return mergeInto(target === undefined ? undefined : cloneJson(target), patch);
}

function mergeInto(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const base: JsonObject = isJsonObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergeInto(getOwn(base, key), value);
  }
  return base;
}
