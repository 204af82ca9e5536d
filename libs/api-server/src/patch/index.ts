export { applyStrategicMergePatch } from './strategic-merge-patch';
