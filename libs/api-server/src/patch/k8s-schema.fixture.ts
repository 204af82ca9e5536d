import { SchemaNode } from '../schema/schema-node';

// Hand-built slices of the Kubernetes OpenAPI schema, with the real patch metadata, for specs.
const str: SchemaNode = { type: 'string' };
const int: SchemaNode = { type: 'integer' };
const stringMap: SchemaNode = { type: 'object', additionalProperties: str };

export const ownerReferenceSchema: SchemaNode = {
  type: 'object',
  properties: { apiVersion: str, kind: str, name: str, uid: str, controller: { type: 'boolean' } },
};

export const objectMetaSchema: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: int,
    creationTimestamp: str,
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: 'array', items: str, patchStrategy: 'merge', listType: 'set' },
    ownerReferences: {
      type: 'array',
      items: ownerReferenceSchema,
      patchStrategy: 'merge',
      patchMergeKey: 'uid',
      listType: 'map',
      listMapKeys: ['uid'],
    },
    managedFields: { type: 'array', items: { type: 'object', properties: { manager: str } } },
  },
};

const containerPort: SchemaNode = {
  type: 'object',
  properties: { name: str, containerPort: int, protocol: str, hostPort: int },
};

const envVar: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    value: str,
    valueFrom: { type: 'object', properties: { fieldRef: { type: 'object', properties: { fieldPath: str } } } },
  },
};

export const containerSchema: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    image: str,
    args: { type: 'array', items: str, listType: 'atomic' },
    command: { type: 'array', items: str, listType: 'atomic' },
    ports: {
      type: 'array',
      items: containerPort,
      patchStrategy: 'merge',
      patchMergeKey: 'containerPort',
      listType: 'map',
      listMapKeys: ['containerPort', 'protocol'],
    },
    env: {
      type: 'array',
      items: envVar,
      patchStrategy: 'merge',
      patchMergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    },
    resources: {
      type: 'object',
      properties: { limits: stringMap, requests: stringMap },
    },
    volumeMounts: {
      type: 'array',
      items: { type: 'object', properties: { name: str, mountPath: str } },
      patchStrategy: 'merge',
      patchMergeKey: 'mountPath',
      listType: 'map',
      listMapKeys: ['mountPath'],
    },
  },
};

const volumeSchema: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    emptyDir: { type: 'object', properties: { medium: str, sizeLimit: str } },
    configMap: { type: 'object', properties: { name: str, defaultMode: int } },
    secret: { type: 'object', properties: { secretName: str } },
  },
};

export const podSpecSchema: SchemaNode = {
  type: 'object',
  properties: {
    containers: {
      type: 'array',
      items: containerSchema,
      patchStrategy: 'merge',
      patchMergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    },
    initContainers: {
      type: 'array',
      items: containerSchema,
      patchStrategy: 'merge',
      patchMergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    },
    volumes: {
      type: 'array',
      items: volumeSchema,
      patchStrategy: 'merge,retainKeys',
      patchMergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    },
    nodeSelector: { ...stringMap, mapType: 'atomic' },
    restartPolicy: str,
    serviceAccountName: str,
    tolerations: {
      type: 'array',
      items: { type: 'object', properties: { key: str, operator: str, effect: str } },
      listType: 'atomic',
    },
  },
};

export const podSchema: SchemaNode = {
  type: 'object',
  properties: { apiVersion: str, kind: str, metadata: objectMetaSchema, spec: podSpecSchema },
};

const labelSelector: SchemaNode = {
  type: 'object',
  mapType: 'atomic',
  properties: { matchLabels: stringMap },
};

export const deploymentSchema: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMetaSchema,
    spec: {
      type: 'object',
      properties: {
        replicas: int,
        paused: { type: 'boolean' },
        selector: labelSelector,
        strategy: {
          type: 'object',
          patchStrategy: 'retainKeys',
          properties: {
            type: str,
            rollingUpdate: {
              type: 'object',
              properties: { maxSurge: { intOrString: true }, maxUnavailable: { intOrString: true } },
            },
          },
        },
        template: {
          type: 'object',
          properties: { metadata: objectMetaSchema, spec: podSpecSchema },
        },
      },
    },
    status: { type: 'object', properties: { replicas: int, observedGeneration: int } },
  },
};
