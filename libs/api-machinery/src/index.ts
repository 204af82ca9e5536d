export * from './meta/object';
export * from './meta/status';
export * from './meta/resource-types';
export * from './schema/schema-node';
