export * from './renderer';
export * from './chart';
