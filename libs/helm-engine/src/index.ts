export * from './renderer';
