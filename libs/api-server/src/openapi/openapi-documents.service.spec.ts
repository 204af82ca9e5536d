import { BUILT_IN_RESOURCES } from '../resources/resource-types';
import { SchemaRegistry } from '../schema/schema-registry.service';
import {
  buildOpenApiV3Index,
  openApiV2Document,
  openApiV3Document,
  openApiV3Documents,
  servedOpenApiV2,
} from './openapi-documents.service';
import { buildOpenApiV3Document } from './openapi-v3.builder';
import { negotiateOpenApiV2, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './openapi-v2.builder';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

describe('OpenAPI documents', () => {
  const registry = SchemaRegistry.builtIn();

  it('indexes every served group version with a sha512 hash of its document', () => {
    const index = buildOpenApiV3Index(BUILT_IN_RESOURCES, registry, '/k');
    const paths = obj(index.document['paths']);
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/networking.k8s.io/v1']),
    );
    const apps = openApiV3Document('apis/apps/v1', BUILT_IN_RESOURCES, registry);
    expect(obj(paths['apis/apps/v1'])['serverRelativeURL']).toBe(`/k/openapi/v3/apis/apps/v1?hash=${apps?.hash}`);
    expect(apps?.hash).toMatch(/^[0-9A-F]{128}$/);
  });

  it('hashes identical content identically', () => {
    const a = buildOpenApiV3Document('apps', 'v1', BUILT_IN_RESOURCES, registry);
    const b = buildOpenApiV3Document('apps', 'v1', [...BUILT_IN_RESOURCES], registry);
    expect(a?.hash).toBe(b?.hash);
    expect(openApiV3Documents(BUILT_IN_RESOURCES, registry)).toBe(openApiV3Documents(BUILT_IN_RESOURCES, registry));
  });

  it('declares the Deployment patch operation the way kubectl looks for it', () => {
    const doc = openApiV3Document('apis/apps/v1', BUILT_IN_RESOURCES, registry)?.document;
    const item = obj(obj(doc?.['paths'])['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']);
    const patch = obj(item['patch']);
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
    const names = (patch['parameters'] as Json[]).map((p) => p['name']);
    expect(names).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager', 'force']));
    expect(Object.keys(obj(obj(patch['requestBody'])['content']))).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    const scale = obj(
      obj(obj(doc?.['paths'])['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'])['patch'],
    );
    expect(scale['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', kind: 'Scale', version: 'v1' });
  });

  it('ships the definitions with gvk extensions and merge keys', () => {
    const schemas = obj(
      obj(openApiV3Document('apis/apps/v1', BUILT_IN_RESOURCES, registry)?.document['components'])['schemas'],
    );
    expect(obj(schemas['io.k8s.api.apps.v1.Deployment'])['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    expect(schemas['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
    const containers = obj(obj(obj(schemas['io.k8s.api.core.v1.PodSpec'])['properties'])['containers']);
    expect(containers).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
      items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' },
    });
    // Every ref resolves inside the document.
    const refs = JSON.stringify(schemas).match(/#\/components\/schemas\/[^"]+/g) ?? [];
    for (const ref of new Set(refs)) expect(schemas[ref.slice('#/components/schemas/'.length)]).toBeDefined();
  });

  it('builds a swagger 2.0 document, cached with its protobuf until the served resources change', () => {
    const v2 = openApiV2Document();
    expect(v2.document['swagger']).toBe('2.0');
    expect(obj(v2.document['definitions'])['io.k8s.api.core.v1.Pod']).toBeDefined();
    const served = servedOpenApiV2(BUILT_IN_RESOURCES, registry);
    expect(served.json).toBe(openApiV2Document(BUILT_IN_RESOURCES, registry));
    expect(served.protobuf()).toBe(served.protobuf());
    expect(Buffer.from(served.protobuf().subarray(0, 5)).toString('hex')).toBe('0a03322e30'); // swagger (1) "2.0"
    const changed = servedOpenApiV2([...BUILT_IN_RESOURCES], registry);
    expect(changed).not.toBe(served);
    expect(changed.json.hash).toBe(served.json.hash);
  });

  it('negotiates /openapi/v2 as kube-openapi does', () => {
    expect(negotiateOpenApiV2(OPENAPI_V2_PROTOBUF)).toBe('protobuf'); // kubectl's Accept
    expect(negotiateOpenApiV2(OPENAPI_V2_PROTOBUF_CONTENT_TYPE)).toBe('protobuf');
    expect(negotiateOpenApiV2('application/json')).toBe('json');
    expect(negotiateOpenApiV2(undefined)).toBe('json');
    expect(negotiateOpenApiV2('*/*')).toBe('json');
    expect(negotiateOpenApiV2('application/*')).toBe('json');
    // Equal q: the first clause wins; a higher q wins; an exact type outranks a wildcard whatever its q.
    expect(negotiateOpenApiV2(`${OPENAPI_V2_PROTOBUF}, application/json`)).toBe('protobuf');
    expect(negotiateOpenApiV2(`application/json;q=0.5, ${OPENAPI_V2_PROTOBUF}`)).toBe('protobuf');
    expect(negotiateOpenApiV2(`*/*, ${OPENAPI_V2_PROTOBUF};q=0.1`)).toBe('protobuf');
    expect(negotiateOpenApiV2('text/html')).toBeUndefined();
    expect(negotiateOpenApiV2('application/vnd.kubernetes.protobuf')).toBeUndefined();
    expect(negotiateOpenApiV2('APPLICATION/JSON')).toBeUndefined();
  });
});
