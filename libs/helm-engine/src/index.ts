export * from './chart';
export * from './manifests';
export * from './release';
export * from './renderer';
