export * from './objects';
export * from './well-known';
export * from './metrics';
