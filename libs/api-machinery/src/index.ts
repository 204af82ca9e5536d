// The client-safe core of Kubernetes API machinery: what a controller, the agent or a client needs.
// The API server's own parts (schemas, validation, tables, OpenAPI, protobuf, apply) are in @skiff/api-server.
export * from './meta/object';
export * from './meta/status';
export * from './meta/errors';
export * from './meta/go-json';
export * from './meta/time';
export * from './meta/garbage-collection';
export * from './meta/name-rules';
export * from './meta/image-pull-policy';
export * from './quantity/quantity';
export * from './cron/cron-schedule';
export * from './patch';
export * from './selectors';
export * from './quota/resource-quota';
