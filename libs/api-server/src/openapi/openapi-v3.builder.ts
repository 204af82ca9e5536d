import { createHash } from 'node:crypto';
import { ResourceType } from '../resources/resource-types';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { definitionClosure, emitDefinition, JsonObject, RefStyle, refTo } from './openapi-schema.emitter';
import { OperationSpec, ParamSpec, PathSpec, ResponseSpec, resourcePaths } from './openapi-operations.builder';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const PATCH_CONTENT_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];
/** What a PATCH operation consumes. */
export function patchContentTypes(op: OperationSpec): string[] {
  const strategic = op.body?.kind === 'patch' && op.body.strategicMerge;
  return strategic
    ? PATCH_CONTENT_TYPES
    : PATCH_CONTENT_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');
}
export const OBJECT_CONTENT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
export const WATCH_CONTENT_TYPES = [
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf;stream=watch',
];

/** A serialized OpenAPI document with its upstream-style hash (sha512 of the bytes, hex upper case). */
export interface OpenApiDocument {
  json: string;
  hash: string;
  document: JsonObject;
}

export function documentOf(document: JsonObject): OpenApiDocument {
  const json = JSON.stringify(document);
  return { json, document, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

/** "api/v1" or "apis/apps/v1": the key of a group version in the /openapi/v3 index. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

// Definition names an operation needs, for the closure of a document.
export function operationDefinitions(op: OperationSpec, registry: SchemaRegistry): string[] {
  const names = [responseDefinition(op.response, registry), bodyDefinition(op, registry)];
  return names.filter((n): n is string => n !== undefined);
}

export function responseDefinition(response: ResponseSpec, registry: SchemaRegistry): string | undefined {
  if (response === 'text') return undefined;
  if (response === 'status') return `${META}.Status`;
  if (response === 'watchEvent') return `${META}.WatchEvent`;
  return registry.definitionNameFor(response.group, response.version, response.kind);
}

export function bodyDefinition(op: OperationSpec, registry: SchemaRegistry): string | undefined {
  if (!op.body) return undefined;
  if (op.body.kind === 'patch') return `${META}.Patch`;
  if (op.body.kind === 'delete') return `${META}.DeleteOptions`;
  return responseDefinition(op.response, registry);
}

function v3Param(p: ParamSpec): JsonObject {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

function content(types: string[], schema: JsonObject): JsonObject {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function v3Operation(op: OperationSpec, tag: string, registry: SchemaRegistry): JsonObject {
  const style: RefStyle = 'v3';
  const out: JsonObject = { tags: [tag], description: op.description, operationId: op.operationId };
  if (op.params.length) out['parameters'] = op.params.map(v3Param);
  const body = bodyDefinition(op, registry);
  if (body) {
    const types = op.body?.kind === 'patch' ? patchContentTypes(op) : ['*/*'];
    out['requestBody'] = { content: content(types, refTo(body, style)), required: op.body?.kind !== 'delete' };
  }
  const response = responseDefinition(op.response, registry);
  const types =
    op.response === 'text'
      ? ['*/*']
      : op.watch
        ? [...OBJECT_CONTENT_TYPES, ...WATCH_CONTENT_TYPES]
        : OBJECT_CONTENT_TYPES;
  const ok = { description: 'OK', content: content(types, response ? refTo(response, style) : { type: 'string' }) };
  const responses: JsonObject = { '200': ok };
  if (op.method === 'post' || op.method === 'put' || (op.method === 'patch' && op.body))
    responses['201'] = { ...ok, description: 'Created' };
  if (op.method === 'post' || op.method === 'delete') responses['202'] = { ...ok, description: 'Accepted' };
  responses['401'] = { description: 'Unauthorized' };
  out['responses'] = responses;
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

function tagOf(group: string, version: string): string {
  const base = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/[.-]/g, '_');
  return `${base}_${version}`;
}

/** The paths of resources in one group version, plus the definitions they reach. */
export function collectPaths(
  resources: readonly ResourceType[],
  registry: SchemaRegistry,
): { paths: PathSpec[]; roots: Set<string> } {
  const paths: PathSpec[] = [];
  const roots = new Set<string>();
  for (const r of resources) {
    for (const p of resourcePaths(r)) {
      paths.push(p);
      for (const op of p.operations) for (const name of operationDefinitions(op, registry)) roots.add(name);
    }
  }
  return { paths, roots };
}

/** The /openapi/v3/<api|apis/g>/<v> document of one group version, or undefined if none is served. */
export function buildOpenApiV3Document(
  group: string,
  version: string,
  resources: readonly ResourceType[],
  registry: SchemaRegistry,
): OpenApiDocument | undefined {
  const served = resources.filter((r) => r.group === group && r.version === version);
  if (!served.length) return undefined;
  const { paths, roots } = collectPaths(served, registry);
  const tag = tagOf(group, version);
  const pathItems: JsonObject = {};
  for (const p of paths) {
    const item: JsonObject = {};
    for (const op of p.operations) item[op.method] = v3Operation(op, tag, registry);
    if (p.params.length) item['parameters'] = p.params.map(v3Param);
    pathItems[p.path] = item;
  }
  const schemas: JsonObject = {};
  for (const name of definitionClosure(roots, registry)) schemas[name] = emitDefinition(name, registry, 'v3');
  return documentOf({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: pathItems,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
    security: [{ BearerToken: [] }],
  });
}
