export * from './objects';
export * from './well-known';
