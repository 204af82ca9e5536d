export { applyJsonMergePatch } from './json-merge-patch';
export { applyJsonPatch } from './json-patch';
export { cloneJson, getOwn, jsonEqual, withoutNulls } from './json-value';
export { badPatch, patchInternalError, unprocessablePatch } from './patch-errors';
