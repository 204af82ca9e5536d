export { applyJsonMergePatch } from './json-merge-patch';
export { applyJsonPatch } from './json-patch';
export { applyStrategicMergePatch } from './strategic-merge-patch';
