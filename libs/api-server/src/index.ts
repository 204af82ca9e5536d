// The API server's machinery: resource types, schemas, defaulting and validation, patch strategies,
// server-side apply, tables, OpenAPI, protobuf, CRDs and version conversion. Only api-gateway imports it.
export * from './resources/resource-types';
export * from './schema/schema-node';
export * from './schema';
export * from './patch';
export * from './apply';
export * from './validation';
export * from './table';
export * from './openapi';
export * from './protobuf';
export * from './apiextensions';
export * from './conversion';
export * from './admission';
export * from './encryption';
export * from './audit';
