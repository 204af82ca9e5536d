import { ResourceType } from '../meta/resource-types';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { definitionClosure, emitDefinition, JsonObject, refTo } from './openapi-schema.emitter';
import { OperationSpec, ParamSpec } from './openapi-operations.builder';
import {
  bodyDefinition,
  collectPaths,
  documentOf,
  OBJECT_CONTENT_TYPES,
  OpenApiDocument,
  patchContentTypes,
  responseDefinition,
  WATCH_CONTENT_TYPES,
} from './openapi-v3.builder';

/** The only media type kubectl asks /openapi/v2 for (gnostic protobuf); Skiff does not encode it. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * What to answer on GET /openapi/v2 for an Accept header. kubectl (client-go
 * DiscoveryClient.OpenAPISchema) sends only the protobuf type and proto-decodes any 200 body, so
 * JSON would fail its parse; on 404/403/406 it tries /swagger-2.0.0.pb-v1 and, when that is 404
 * too, works from OpenAPI v3 (explain, apply) or its compiled-in types. Hence: JSON when JSON
 * (or anything) is acceptable, 406 when only protobuf is.
 */
export function negotiateOpenApiV2(accept: string | undefined): 'json' | 'not-acceptable' {
  if (!accept) return 'json';
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  return types.some((t) => t === 'application/json' || t === '*/*' || t === 'application/*') ? 'json' : 'not-acceptable';
}

function v2Param(p: ParamSpec): JsonObject {
  return { name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), type: p.type, uniqueItems: true };
}

function v2Operation(op: OperationSpec, tag: string, registry: SchemaRegistry): JsonObject {
  const params = op.params.map(v2Param);
  const body = bodyDefinition(op, registry);
  if (body) params.unshift({ name: 'body', in: 'body', required: op.body?.kind !== 'delete', schema: refTo(body, 'v2') });
  const response = responseDefinition(op.response, registry);
  const ok = { description: 'OK', schema: response ? refTo(response, 'v2') : { type: 'string' } };
  const responses: JsonObject = { '200': ok, '401': { description: 'Unauthorized' } };
  if (op.method === 'post' || op.method === 'put' || op.method === 'patch') responses['201'] = { ...ok, description: 'Created' };
  if (op.method === 'post' || op.method === 'delete') responses['202'] = { ...ok, description: 'Accepted' };
  return {
    tags: [tag],
    description: op.description,
    operationId: op.operationId,
    consumes: op.body?.kind === 'patch' ? patchContentTypes(op) : ['*/*'],
    produces: op.response === 'text' ? ['*/*'] : op.watch ? [...OBJECT_CONTENT_TYPES, ...WATCH_CONTENT_TYPES] : OBJECT_CONTENT_TYPES,
    schemes: ['https'],
    ...(params.length ? { parameters: params } : {}),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version },
  };
}

/** The swagger 2.0 document of every served resource, as JSON (/openapi/v2 with a JSON Accept). */
export function buildOpenApiV2Document(resources: readonly ResourceType[], registry: SchemaRegistry): OpenApiDocument {
  const { paths, roots } = collectPaths(resources, registry);
  const pathItems: JsonObject = {};
  for (const p of paths) {
    const tag = p.operations[0] ? `${p.operations[0].gvk.group || 'core'}_${p.operations[0].gvk.version}` : 'core_v1';
    const item: JsonObject = {};
    for (const op of p.operations) item[op.method] = v2Operation(op, tag, registry);
    if (p.params.length) item['parameters'] = p.params.map(v2Param);
    pathItems[p.path] = item;
  }
  const definitions: JsonObject = {};
  for (const name of definitionClosure(roots, registry)) definitions[name] = emitDefinition(name, registry, 'v2');
  return documentOf({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: pathItems,
    definitions,
    securityDefinitions: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  });
}
