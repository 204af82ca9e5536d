import { ResourceType } from '../resources/resource-types';
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

/** What kubectl (client-go DiscoveryClient.OpenAPISchema) puts in Accept for /openapi/v2, and nothing else. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/**
 * The Content-Type kube-openapi answers the protobuf with. Not the requested type: `@` is not
 * allowed in a media type, and client-go fails to parse a response Content-Type holding it.
 */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export type OpenApiV2Format = 'json' | 'protobuf';

// kube-openapi's handler: these (type, subtype) pairs, tried in this order for each Accept clause.
const V2_OFFERS: readonly { type: string; subType: string; format: OpenApiV2Format }[] = [
  { type: 'application', subType: 'json', format: 'json' },
  { type: 'application', subType: 'com.github.proto-openapi.spec.v2@v1.0+protobuf', format: 'protobuf' },
  { type: 'application', subType: 'com.github.proto-openapi.spec.v2.v1.0+protobuf', format: 'protobuf' },
];

/**
 * Which encoding GET /openapi/v2 answers an Accept header with, undefined for 406. As upstream
 * (goautoneg): clauses sorted by q, then exact types before wildcards; the first clause that
 * matches an offer wins; no Accept accepts anything, i.e. JSON. Matching is case-sensitive there too.
 */
export function negotiateOpenApiV2(accept: string | undefined): OpenApiV2Format | undefined {
  for (const clause of acceptClauses(accept || '*/*')) {
    for (const offer of V2_OFFERS) {
      if (
        (clause.type === offer.type || clause.type === '*') &&
        (clause.subType === offer.subType || clause.subType === '*')
      )
        return offer.format;
    }
  }
  return undefined;
}

interface AcceptClause {
  type: string;
  subType: string;
  q: number;
}

// goautoneg.ParseAccept, malformed clauses skipped the same way.
function acceptClauses(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const rawPart of header.split(',')) {
    const [range, params] = splitOnce(trimSpaces(rawPart), ';');
    const [rawType, rest] = splitOnce(range, '/');
    const type = trimSpaces(rawType);
    let subType = '*';
    if (rest === '') {
      if (type !== '*') continue;
    } else {
      const [sub, more] = splitOnce(rest, '/');
      if (more !== '') continue;
      subType = trimSpaces(sub);
    }
    let q = 1;
    for (const param of params === '' ? [] : params.split(';')) {
      const [key, value] = splitOnce(param, '=');
      if (value === '' || value.includes('=')) continue;
      if (trimSpaces(key) === 'q') q = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : 0;
    }
    clauses.push({ type, subType, q });
  }
  // sort.Sort with goautoneg's Less; for up to 12 clauses Go sorts by insertion, as here.
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && acceptLess(clauses[j], clauses[j - 1]); j--)
      [clauses[j], clauses[j - 1]] = [clauses[j - 1], clauses[j]];
  }
  return clauses;
}

function acceptLess(a: AcceptClause, b: AcceptClause): boolean {
  return a.q > b.q || (a.type !== '*' && b.type === '*') || (a.subType !== '*' && b.subType === '*');
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i === -1 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

const trimSpaces = (s: string): string => s.replace(/^ +| +$/g, '');

function v2Param(p: ParamSpec): JsonObject {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    type: p.type,
    uniqueItems: true,
  };
}

function v2Operation(op: OperationSpec, tag: string, registry: SchemaRegistry): JsonObject {
  const params = op.params.map(v2Param);
  const body = bodyDefinition(op, registry);
  if (body)
    params.unshift({ name: 'body', in: 'body', required: op.body?.kind !== 'delete', schema: refTo(body, 'v2') });
  const response = responseDefinition(op.response, registry);
  const ok = { description: 'OK', schema: response ? refTo(response, 'v2') : { type: 'string' } };
  const responses: JsonObject = { '200': ok, '401': { description: 'Unauthorized' } };
  if (op.method === 'post' || op.method === 'put' || op.method === 'patch')
    responses['201'] = { ...ok, description: 'Created' };
  if (op.method === 'post' || op.method === 'delete') responses['202'] = { ...ok, description: 'Accepted' };
  return {
    tags: [tag],
    description: op.description,
    operationId: op.operationId,
    consumes: op.body?.kind === 'patch' ? patchContentTypes(op) : ['*/*'],
    produces:
      op.response === 'text'
        ? ['*/*']
        : op.watch
          ? [...OBJECT_CONTENT_TYPES, ...WATCH_CONTENT_TYPES]
          : OBJECT_CONTENT_TYPES,
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
  for (const name of definitionClosure(roots, registry))
    definitions[name] = v2Definition(emitDefinition(name, registry, 'v2'));
  return documentOf({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: pathItems,
    definitions,
    securityDefinitions: {
      BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
    },
    security: [{ BearerToken: [] }],
  });
}

/**
 * A definition as kube-apiserver publishes it in swagger 2.0: defaults pruned (PruneDefaults) and,
 * as apiextensions' ToStructuralOpenAPIV2 does for CRD schemas, what kubectl's v2 reader would
 * misjudge taken out (nullable, fields under x-kubernetes-preserve-unknown-fields, an array type
 * without items). A custom kind that keeps unknown fields at its root is published as a bare object.
 * Built-in definitions carry none of these, so they pass through unchanged.
 */
function v2Definition(def: JsonObject): JsonObject {
  if (def['x-kubernetes-preserve-unknown-fields'] === true && def['x-kubernetes-group-version-kind'] !== undefined) {
    return { type: 'object', 'x-kubernetes-group-version-kind': def['x-kubernetes-group-version-kind'] };
  }
  return v2Schema(def);
}

function v2Schema(s: JsonObject): JsonObject {
  const out: JsonObject = { ...s };
  delete out['default'];
  const properties = isObject(s['properties']) ? s['properties'] : {};
  const additional = s['additionalProperties'];
  // A nullable field is no longer required (null may stand for it); a nullable map value drops them all.
  if (Array.isArray(s['required'])) {
    const required =
      isObject(additional) && additional['nullable'] === true
        ? []
        : s['required'].filter((f: unknown) => !isNullable(properties[String(f)]));
    if (required.length) out['required'] = required;
    else delete out['required'];
  }
  if (out['nullable'] === true) {
    delete out['type'];
    delete out['items'];
    delete out['properties'];
  }
  delete out['nullable'];
  if (out['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out['items'];
    delete out['properties'];
    if (out['type'] === 'object') delete out['type'];
  }
  if (out['type'] === 'array' && out['items'] === undefined) delete out['type'];
  // Upstream's int-or-string has no type (v3 says anyOf integer/string, which v2 cannot).
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    if (out['format'] === 'int-or-string') delete out['format'];
  }
  if (isObject(out['properties'])) {
    out['properties'] = Object.fromEntries(
      Object.entries(out['properties']).map(([k, v]) => [k, isObject(v) ? v2Schema(v) : v]),
    );
  }
  if (isObject(out['items'])) out['items'] = v2Schema(out['items']);
  if (isObject(out['additionalProperties'])) out['additionalProperties'] = v2Schema(out['additionalProperties']);
  return out;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isNullable = (v: unknown): boolean => isObject(v) && v['nullable'] === true;
