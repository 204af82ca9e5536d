import { decodeMessage, JsonObject } from '../protobuf/message.decoder';
import { Document } from '../protobuf/openapi-v2.messages';
import { openApiV2Document } from './openapi-documents.service';
import {
  encodeOpenApiV2Protobuf,
  gnosticDocument,
  OpenApiV2EncodingError,
  yamlText,
} from './openapi-v2-protobuf.encoder';

const obj = (v: unknown): JsonObject => v as JsonObject;
const list = (v: unknown): JsonObject[] => v as JsonObject[];
const byName = (v: unknown, name: string): JsonObject => obj(list(v).find((x) => x['name'] === name)?.['value']);

describe('encodeOpenApiV2Protobuf', () => {
  it('writes a small document with gnostic field numbers, hand-checked against OpenAPIv2.proto', () => {
    const swagger = {
      swagger: '2.0',
      info: { title: 'K', version: 'v' },
      paths: {
        '/a': {
          get: {
            operationId: 'o',
            parameters: [{ name: 'n', in: 'path', required: true, type: 'string' }],
            responses: { '200': { description: 'OK' } },
            'x-kubernetes-action': 'get',
          },
        },
      },
      definitions: {
        'a.B': {
          type: 'object',
          properties: { c: { type: 'array', items: { $ref: '#/definitions/a.B' } } },
          additionalProperties: false,
        },
      },
    };
    const expected = [
      '0a03322e30', // Document.swagger (1) "2.0"
      '1206',
      '0a014b',
      '120176', // Document.info (2): Info.title (1) "K", Info.version (2) "v"
      '4258', // Document.paths (8), 88 bytes
      '1256', // Paths.path (2): NamedPathItem, 86 bytes
      '0a022f61', // NamedPathItem.name (1) "/a"
      '1250', // NamedPathItem.value (2): PathItem, 80 bytes
      '124e', // PathItem.get (2): Operation, 78 bytes
      '2a016f', // Operation.operation_id (5) "o"
      '4219',
      '0a17',
      '1215',
      '2213', // Operation.parameters (8) > ParametersItem.parameter (1) > Parameter.non_body_parameter (2) > NonBodyParameter.path_parameter_sub_schema (4)
      '0801',
      '120470617468',
      '22016e',
      '2a06737472696e67', // PathParameterSubSchema: required (1), in (2) "path", name (4) "n", type (5) "string"
      '4a0f',
      '0a0d',
      '0a03323030',
      '1206',
      '0a04',
      '0a024f4b', // Operation.responses (9) > response_code (1) {name (1) "200", value (2) > ResponseValue.response (1) > Response.description (1) "OK"}
      '6a1d',
      '0a13782d6b756265726e657465732d616374696f6e',
      '1206',
      '1204',
      '6765740a', // Operation.vendor_extension (13): NamedAny {name "x-kubernetes-action", value: Any.yaml (2) "get\n"}
      '4a45', // Document.definitions (9), 69 bytes
      '0a43',
      '0a03612e42',
      '123c', // Definitions.additional_properties (1): NamedSchema {name "a.B", value (2): Schema, 60 bytes}
      'aa01021000', // Schema.additional_properties (21): AdditionalPropertiesItem.boolean (2) false, written since it is a oneof
      'b201080a066f626a656374', // Schema.type (22): TypeItem.value (1) ["object"]
      'ca0129',
      '0a27',
      '0a0163',
      '1222', // Schema.properties (25) > Properties.additional_properties (1): NamedSchema {name "c", value, 34 bytes}
      'b201070a056172726179', // Schema.type (22) ["array"]
      'ba0115',
      '0a13',
      '0a11232f646566696e6974696f6e732f612e42', // Schema.items (23) > ItemsItem.schema (1) > Schema._ref (1) "#/definitions/a.B"
    ].join('');
    expect(Buffer.from(encodeOpenApiV2Protobuf(swagger)).toString('hex')).toBe(expected);
  });

  it('round-trips the whole built-in document through the decoder', () => {
    const swagger = openApiV2Document().document;
    const gnostic = JSON.parse(JSON.stringify(gnosticDocument(swagger))) as JsonObject;
    const decoded = decodeMessage(encodeOpenApiV2Protobuf(swagger), Document);
    expect(decoded).toEqual(gnostic);
    expect(decoded['swagger']).toBe('2.0');
    expect(list(obj(decoded['definitions'])['additionalProperties'])).toHaveLength(
      Object.keys(obj(swagger['definitions'])).length,
    );
  });

  it('carries what kubectl reads: definitions, gvk and patch extensions as YAML, operation consumes', () => {
    const decoded = decodeMessage(encodeOpenApiV2Protobuf(openApiV2Document().document), Document);
    const definitions = obj(decoded['definitions'])['additionalProperties'];
    const deployment = byName(definitions, 'io.k8s.api.apps.v1.Deployment');
    expect(obj(deployment['type'])['value']).toEqual(['object']);
    expect(byName(deployment['vendorExtension'], 'x-kubernetes-group-version-kind')).toEqual({
      yaml: '- group: apps\n  kind: Deployment\n  version: v1\n',
    });
    const podSpec = byName(definitions, 'io.k8s.api.core.v1.PodSpec');
    const containers = byName(obj(podSpec['properties'])['additionalProperties'], 'containers');
    expect(containers['items']).toEqual({ schema: [{ xRef: '#/definitions/io.k8s.api.core.v1.Container' }] });
    expect(byName(containers['vendorExtension'], 'x-kubernetes-patch-merge-key')).toEqual({ yaml: 'name\n' });
    expect(byName(containers['vendorExtension'], 'x-kubernetes-patch-strategy')).toEqual({ yaml: 'merge\n' });
    const configMap = byName(definitions, 'io.k8s.api.core.v1.ConfigMap');
    expect(byName(obj(configMap['properties'])['additionalProperties'], 'data')['additionalProperties']).toEqual({
      schema: { type: { value: ['string'] } },
    });

    const item = byName(obj(decoded['paths'])['path'], '/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
    const patch = obj(item['patch']);
    expect(patch['consumes']).toContain('application/strategic-merge-patch+json');
    expect(byName(patch['vendorExtension'], 'x-kubernetes-group-version-kind')).toEqual({
      yaml: 'group: apps\nkind: Deployment\nversion: v1\n',
    });
    const nonBody = list(item['parameters']).map((p) => obj(obj(p['parameter'])['nonBodyParameter']));
    expect(
      nonBody.filter((p) => p['pathParameterSubSchema']).map((p) => obj(p['pathParameterSubSchema'])['name']),
    ).toEqual(['name', 'namespace']);
    expect(nonBody.find((p) => p['queryParameterSubSchema'])).toEqual({
      queryParameterSubSchema: {
        in: 'query',
        name: 'pretty',
        description: "If 'true', then the output is pretty printed.",
        type: 'string',
        uniqueItems: true,
      },
    });
    const body = obj(obj(list(patch['parameters'])[0]['parameter'])['bodyParameter']);
    expect(body).toMatchObject({
      name: 'body',
      in: 'body',
      required: true,
      schema: { xRef: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    });
    expect(byName(obj(decoded['securityDefinitions'])['additionalProperties'], 'BearerToken')).toEqual({
      apiKeySecurity: {
        type: 'apiKey',
        name: 'authorization',
        in: 'header',
        description: 'Bearer Token authentication',
      },
    });
  });

  it('keeps an empty properties object, which tells kubectl an object without fields from a map', () => {
    const decoded = decodeMessage(
      encodeOpenApiV2Protobuf({ swagger: '2.0', definitions: { a: { type: 'object', properties: {} } } }),
      Document,
    );
    expect(byName(obj(decoded['definitions'])['additionalProperties'], 'a')).toEqual({
      type: { value: ['object'] },
      properties: {},
    });
  });

  it('encodes value keywords: enum and default as YAML, numbers by their proto type', () => {
    const schema = {
      type: 'string',
      enum: ['yes', 'Always', ''],
      default: 'Always',
      maxLength: 63,
      minimum: 0.5,
      uniqueItems: true,
      'x-kubernetes-list-map-keys': ['name', 'protocol'],
    };
    const decoded = decodeMessage(encodeOpenApiV2Protobuf({ swagger: '2.0', definitions: { a: schema } }), Document);
    expect(byName(obj(decoded['definitions'])['additionalProperties'], 'a')).toEqual({
      type: { value: ['string'] },
      enum: [{ yaml: '"yes"\n' }, { yaml: 'Always\n' }, { yaml: '""\n' }],
      default: { yaml: 'Always\n' },
      maxLength: 63,
      minimum: 0.5,
      uniqueItems: true,
      vendorExtension: [{ name: 'x-kubernetes-list-map-keys', value: { yaml: '- name\n- protocol\n' } }],
    });
  });

  it('rejects what gnostic rejects instead of dropping it', () => {
    expect(() =>
      encodeOpenApiV2Protobuf({ swagger: '2.0', definitions: { a: { type: 'string', nullable: true } } }),
    ).toThrow(new OpenApiV2EncodingError('$root.definitions[a]', 'invalid property "nullable"'));
    expect(() => encodeOpenApiV2Protobuf({ swagger: '2.0', paths: { a: {} } })).toThrow(/invalid path "a"/);
  });
});

describe('yamlText', () => {
  it("quotes strings a YAML 1.1 reader (kubectl's) would take for something else, and never folds", () => {
    expect(yamlText('merge')).toBe('merge\n');
    expect(yamlText('on')).toBe('"on"\n');
    expect(yamlText('1.0')).toBe('"1.0"\n');
    expect(yamlText(true)).toBe('true\n');
    expect(yamlText('x '.repeat(100).trim())).toBe(`${'x '.repeat(100).trim()}\n`);
    expect(yamlText([{ group: '', kind: 'Pod', version: 'v1' }])).toBe('- group: ""\n  kind: Pod\n  version: v1\n');
  });
});
