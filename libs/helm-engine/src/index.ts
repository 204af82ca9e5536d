export * from './actions';
export * from './chart';
export * from './cluster';
export * from './manifests';
export * from './release';
export * from './release-store';
export * from './renderer';
export * from './repository';
export { PatchSchemas, threeWayStrategicPatch } from './strategic-patch';
