import { customResourcesFrom } from '../apiextensions/custom-resource-types';
import type { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '../resources/resource-types';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { decodeMessage } from '../protobuf/message.decoder';
import { Document } from '../protobuf/openapi-v2.messages';
import { encodeOpenApiV2Protobuf } from './openapi-v2-protobuf.encoder';
import { buildOpenApiV2Document } from './openapi-v2.builder';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

const gadgets = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.v2.example.com' },
  spec: {
    group: 'v2.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size', 'note'],
                properties: {
                  size: { type: 'integer', minimum: 1, default: 1 },
                  note: { type: 'string', nullable: true },
                  port: { 'x-kubernetes-int-or-string': true },
                  extra: {
                    type: 'object',
                    'x-kubernetes-preserve-unknown-fields': true,
                    properties: { a: { type: 'string' } },
                  },
                  tags: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
      },
      {
        name: 'v2',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
} as unknown as KubeObject;

describe(buildOpenApiV2Document.name, () => {
  const { types, schemas } = customResourcesFrom([gadgets], SchemaRegistry.builtIn());
  const doc = buildOpenApiV2Document([...BUILT_IN_RESOURCES, ...types], schemas).document;
  const definitions = obj(doc['definitions']);

  it('publishes a CRD schema the way apiextensions does for v2: no nullable, defaults or fields kubectl would misjudge', () => {
    const spec = obj(obj(obj(definitions['com.example.v2.v1.Gadget'])['properties'])['spec']);
    expect(spec['required']).toEqual(['size']); // a nullable field may be null, so it is not required in v2
    expect(obj(spec['properties'])).toEqual({
      size: { type: 'integer', minimum: 1 },
      note: {},
      port: { 'x-kubernetes-int-or-string': true },
      extra: { 'x-kubernetes-preserve-unknown-fields': true },
      tags: { type: 'array', items: { type: 'string' } },
    });
  });

  it('publishes a custom kind that keeps unknown fields at its root as a bare object', () => {
    expect(definitions['com.example.v2.v2.Gadget']).toEqual({
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'v2.example.com', kind: 'Gadget', version: 'v2' }],
    });
  });

  it('leaves built-in definitions as they are and encodes the whole document', () => {
    const builtIn = buildOpenApiV2Document(BUILT_IN_RESOURCES, SchemaRegistry.builtIn()).document;
    expect(definitions['io.k8s.api.apps.v1.Deployment']).toEqual(
      obj(builtIn['definitions'])['io.k8s.api.apps.v1.Deployment'],
    );
    const decoded = decodeMessage(encodeOpenApiV2Protobuf(doc), Document);
    const names = (obj(decoded['definitions'])['additionalProperties'] as Json[]).map((d) => d['name']);
    expect(names).toEqual(
      expect.arrayContaining(['com.example.v2.v1.Gadget', 'com.example.v2.v1.GadgetList', 'com.example.v2.v2.Gadget']),
    );
  });
});
