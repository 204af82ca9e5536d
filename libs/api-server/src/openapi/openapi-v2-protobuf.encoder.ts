import { stringify } from 'yaml';
import { encodeMessage } from '../protobuf/message.encoder';
import { Document } from '../protobuf/openapi-v2.messages';
import { JsonObject } from './openapi-schema.emitter';

// Swagger 2.0 JSON → gnostic openapi_v2.Document, the way kube-openapi's handler does it
// (gnostic's ParseDocument, then proto.Marshal): maps become lists of Named* pairs, `x-` keys
// become vendor extensions whose value is the YAML text of the JSON value, and a key gnostic would
// reject is an error here too rather than silently dropped.

export class OpenApiV2EncodingError extends Error {
  constructor(path: string, problem: string) {
    super(`/openapi/v2 protobuf: ${path}: ${problem}`);
    this.name = 'OpenApiV2EncodingError';
  }
}

/** The gnostic protobuf of a swagger 2.0 document, as GET /openapi/v2 serves it to kubectl. */
export function encodeOpenApiV2Protobuf(swagger: JsonObject): Uint8Array {
  return encodeMessage(gnosticDocument(swagger), Document);
}

/** The swagger document as the object the gnostic Document message table encodes. */
export function gnosticDocument(d: JsonObject): JsonObject {
  const at = '$root';
  allow(d, at, [
    'swagger',
    'info',
    'host',
    'basePath',
    'schemes',
    'consumes',
    'produces',
    'paths',
    'definitions',
    'security',
    'securityDefinitions',
    'tags',
    'externalDocs',
  ]);
  return compact({
    ...pick(d, ['swagger', 'host', 'basePath', 'schemes', 'consumes', 'produces']),
    info: d['info'] === undefined ? undefined : info(obj(d['info'], `${at}.info`), `${at}.info`),
    paths: d['paths'] === undefined ? undefined : paths(obj(d['paths'], `${at}.paths`), `${at}.paths`),
    definitions:
      d['definitions'] === undefined
        ? undefined
        : { additionalProperties: named(d['definitions'], `${at}.definitions`, schemaOf) },
    security:
      d['security'] === undefined
        ? undefined
        : arr(d['security'], `${at}.security`).map((r, i) => securityRequirement(r, `${at}.security[${i}]`)),
    securityDefinitions:
      d['securityDefinitions'] === undefined
        ? undefined
        : {
            additionalProperties: named(d['securityDefinitions'], `${at}.securityDefinitions`, (v, a) =>
              securityDefinition(obj(v, a), a),
            ),
          },
    tags:
      d['tags'] === undefined
        ? undefined
        : arr(d['tags'], `${at}.tags`).map((t, i) => tag(obj(t, `${at}.tags[${i}]`), `${at}.tags[${i}]`)),
    externalDocs: externalDocs(d['externalDocs'], `${at}.externalDocs`),
    vendorExtension: vendorExtensions(d),
  });
}

function info(i: JsonObject, at: string): JsonObject {
  allow(i, at, ['title', 'version', 'description', 'termsOfService', 'contact', 'license']);
  const contact = i['contact'] === undefined ? undefined : obj(i['contact'], `${at}.contact`);
  const license = i['license'] === undefined ? undefined : obj(i['license'], `${at}.license`);
  if (contact) allow(contact, `${at}.contact`, ['name', 'url', 'email']);
  if (license) allow(license, `${at}.license`, ['name', 'url']);
  return compact({
    ...pick(i, ['title', 'version', 'description', 'termsOfService']),
    contact:
      contact && compact({ ...pick(contact, ['name', 'url', 'email']), vendorExtension: vendorExtensions(contact) }),
    license: license && compact({ ...pick(license, ['name', 'url']), vendorExtension: vendorExtensions(license) }),
    vendorExtension: vendorExtensions(i),
  });
}

function paths(p: JsonObject, at: string): JsonObject {
  const path: JsonObject[] = [];
  for (const [name, item] of Object.entries(p)) {
    if (name.startsWith('x-')) continue;
    if (!name.startsWith('/')) throw new OpenApiV2EncodingError(at, `invalid path ${JSON.stringify(name)}`);
    path.push({ name, value: pathItem(obj(item, `${at}[${name}]`), `${at}[${name}]`) });
  }
  return compact({ vendorExtension: vendorExtensions(p), path });
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function pathItem(p: JsonObject, at: string): JsonObject {
  allow(p, at, ['$ref', ...METHODS, 'parameters']);
  const out: JsonObject = { xRef: p['$ref'] };
  for (const m of METHODS) if (p[m] !== undefined) out[m] = operation(obj(p[m], `${at}.${m}`), `${at}.${m}`);
  out['parameters'] = parameters(p['parameters'], `${at}.parameters`);
  out['vendorExtension'] = vendorExtensions(p);
  return compact(out);
}

function operation(o: JsonObject, at: string): JsonObject {
  allow(o, at, [
    'tags',
    'summary',
    'description',
    'externalDocs',
    'operationId',
    'produces',
    'consumes',
    'parameters',
    'responses',
    'schemes',
    'deprecated',
    'security',
  ]);
  return compact({
    ...pick(o, ['tags', 'summary', 'description', 'operationId', 'produces', 'consumes', 'schemes', 'deprecated']),
    externalDocs: externalDocs(o['externalDocs'], `${at}.externalDocs`),
    parameters: parameters(o['parameters'], `${at}.parameters`),
    responses:
      o['responses'] === undefined ? undefined : responses(obj(o['responses'], `${at}.responses`), `${at}.responses`),
    security:
      o['security'] === undefined
        ? undefined
        : arr(o['security'], `${at}.security`).map((r, i) => securityRequirement(r, `${at}.security[${i}]`)),
    vendorExtension: vendorExtensions(o),
  });
}

function parameters(list: unknown, at: string): JsonObject[] | undefined {
  return list === undefined
    ? undefined
    : arr(list, at).map((p, i) => parametersItem(obj(p, `${at}[${i}]`), `${at}[${i}]`));
}

const VALUE_CONSTRAINTS = [
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
];
// Which NonBodyParameter sub-schema a non-body parameter becomes, by its `in`.
const NON_BODY = {
  header: 'headerParameterSubSchema',
  formData: 'formDataParameterSubSchema',
  query: 'queryParameterSubSchema',
  path: 'pathParameterSubSchema',
} as const;

function parametersItem(p: JsonObject, at: string): JsonObject {
  if (p['$ref'] !== undefined) {
    allow(p, at, ['$ref', 'description'], false);
    return { jsonReference: compact({ xRef: p['$ref'], description: p['description'] }) };
  }
  const where = p['in'];
  if (where === 'body') {
    allow(p, at, ['description', 'name', 'in', 'required', 'schema']);
    const body = compact({
      ...pick(p, ['description', 'name', 'in', 'required']),
      schema: schema(obj(p['schema'], `${at}.schema`), `${at}.schema`),
      vendorExtension: vendorExtensions(p),
    });
    return { parameter: { bodyParameter: body } };
  }
  if (typeof where !== 'string' || !Object.hasOwn(NON_BODY, where))
    throw new OpenApiV2EncodingError(at, `invalid parameter location ${JSON.stringify(where)}`);
  const emptyValue = where === 'query' || where === 'formData' ? ['allowEmptyValue'] : [];
  const keys = [
    'required',
    'in',
    'description',
    'name',
    ...emptyValue,
    'type',
    'format',
    'collectionFormat',
    ...VALUE_CONSTRAINTS,
  ];
  allow(p, at, [...keys, 'items', 'default', 'enum']);
  const sub = compact({
    ...pick(p, keys),
    items: p['items'] === undefined ? undefined : primitivesItems(obj(p['items'], `${at}.items`), `${at}.items`),
    ...anyValues(p),
    vendorExtension: vendorExtensions(p),
  });
  return { parameter: { nonBodyParameter: { [NON_BODY[where as keyof typeof NON_BODY]]: sub } } };
}

function primitivesItems(p: JsonObject, at: string): JsonObject {
  const keys = ['type', 'format', 'collectionFormat', ...VALUE_CONSTRAINTS];
  allow(p, at, [...keys, 'items', 'default', 'enum']);
  return compact({
    ...pick(p, keys),
    items: p['items'] === undefined ? undefined : primitivesItems(obj(p['items'], `${at}.items`), `${at}.items`),
    ...anyValues(p),
    vendorExtension: vendorExtensions(p),
  });
}

function responses(r: JsonObject, at: string): JsonObject {
  const responseCode: JsonObject[] = [];
  for (const [name, value] of Object.entries(r)) {
    if (name.startsWith('x-')) continue;
    if (!/^([0-9]{3})$|^(default)$/.test(name))
      throw new OpenApiV2EncodingError(at, `invalid response code ${JSON.stringify(name)}`);
    responseCode.push({ name, value: responseValue(obj(value, `${at}[${name}]`), `${at}[${name}]`) });
  }
  return compact({ responseCode, vendorExtension: vendorExtensions(r) });
}

function responseValue(r: JsonObject, at: string): JsonObject {
  if (r['$ref'] !== undefined) {
    allow(r, at, ['$ref', 'description'], false);
    return { jsonReference: compact({ xRef: r['$ref'], description: r['description'] }) };
  }
  allow(r, at, ['description', 'schema']);
  const s = r['schema'] === undefined ? undefined : obj(r['schema'], `${at}.schema`);
  // gnostic reads `type: file` as a FileSchema, anything else as a Schema.
  const item =
    s === undefined
      ? undefined
      : s['type'] === 'file'
        ? { fileSchema: fileSchema(s, `${at}.schema`) }
        : { schema: schema(s, `${at}.schema`) };
  return { response: compact({ description: r['description'], schema: item, vendorExtension: vendorExtensions(r) }) };
}

function fileSchema(s: JsonObject, at: string): JsonObject {
  allow(s, at, [
    'format',
    'title',
    'description',
    'default',
    'required',
    'type',
    'readOnly',
    'externalDocs',
    'example',
  ]);
  return compact({
    ...pick(s, ['format', 'title', 'description', 'required', 'type', 'readOnly']),
    ...anyValues(s),
    externalDocs: externalDocs(s['externalDocs'], `${at}.externalDocs`),
    vendorExtension: vendorExtensions(s),
  });
}

const SCHEMA_SCALARS = [
  'format',
  'title',
  'description',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
  'discriminator',
  'readOnly',
];

function schema(s: JsonObject, at: string): JsonObject {
  allow(s, at, [
    '$ref',
    ...SCHEMA_SCALARS,
    'default',
    'enum',
    'example',
    'additionalProperties',
    'type',
    'items',
    'allOf',
    'properties',
    'xml',
    'externalDocs',
  ]);
  const type = s['type'];
  const items = s['items'];
  const additional = s['additionalProperties'];
  const xml = s['xml'] === undefined ? undefined : obj(s['xml'], `${at}.xml`);
  if (xml) allow(xml, `${at}.xml`, ['name', 'namespace', 'prefix', 'attribute', 'wrapped']);
  return compact({
    xRef: s['$ref'],
    ...pick(s, SCHEMA_SCALARS),
    ...anyValues(s),
    additionalProperties:
      additional === undefined
        ? undefined
        : typeof additional === 'boolean'
          ? { boolean: additional }
          : { schema: schema(obj(additional, `${at}.additionalProperties`), `${at}.additionalProperties`) },
    // gnostic's TypeItem holds `type: x` as [x] and `type: [x, y]` as is.
    type: type === undefined ? undefined : { value: Array.isArray(type) ? type : [type] },
    items: items === undefined ? undefined : { schema: [schema(obj(items, `${at}.items`), `${at}.items`)] },
    allOf:
      s['allOf'] === undefined
        ? undefined
        : arr(s['allOf'], `${at}.allOf`).map((x, i) => schema(obj(x, `${at}.allOf[${i}]`), `${at}.allOf[${i}]`)),
    // An empty `properties` stays an (empty) message: kubectl tells an object with no fields from a map by it.
    properties:
      s['properties'] === undefined
        ? undefined
        : { additionalProperties: named(s['properties'], `${at}.properties`, schemaOf) },
    xml:
      xml &&
      compact({
        ...pick(xml, ['name', 'namespace', 'prefix', 'attribute', 'wrapped']),
        vendorExtension: vendorExtensions(xml),
      }),
    externalDocs: externalDocs(s['externalDocs'], `${at}.externalDocs`),
    vendorExtension: vendorExtensions(s),
  });
}

function securityDefinition(d: JsonObject, at: string): JsonObject {
  if (d['type'] === 'apiKey') {
    allow(d, at, ['type', 'name', 'in', 'description']);
    return {
      apiKeySecurity: compact({
        ...pick(d, ['type', 'name', 'in', 'description']),
        vendorExtension: vendorExtensions(d),
      }),
    };
  }
  if (d['type'] === 'basic') {
    allow(d, at, ['type', 'description']);
    return {
      basicAuthenticationSecurity: compact({
        ...pick(d, ['type', 'description']),
        vendorExtension: vendorExtensions(d),
      }),
    };
  }
  throw new OpenApiV2EncodingError(at, `security definition of type ${JSON.stringify(d['type'])} is not encoded`);
}

function securityRequirement(r: unknown, at: string): JsonObject {
  const out = named(r, at, (scopes, itemAt) => compact({ value: arr(scopes, itemAt) }));
  return compact({ additionalProperties: out });
}

function tag(t: JsonObject, at: string): JsonObject {
  allow(t, at, ['name', 'description', 'externalDocs']);
  return compact({
    ...pick(t, ['name', 'description']),
    externalDocs: externalDocs(t['externalDocs'], `${at}.externalDocs`),
    vendorExtension: vendorExtensions(t),
  });
}

function externalDocs(e: unknown, at: string): JsonObject | undefined {
  if (e === undefined) return undefined;
  const docs = obj(e, at);
  allow(docs, at, ['description', 'url']);
  return compact({ ...pick(docs, ['description', 'url']), vendorExtension: vendorExtensions(docs) });
}

// `default`, `example` and `enum` values are gnostic Any messages: the value's YAML text.
function anyValues(s: JsonObject): JsonObject {
  return {
    default: s['default'] === undefined ? undefined : yamlAny(s['default']),
    example: s['example'] === undefined ? undefined : yamlAny(s['example']),
    enum: s['enum'] === undefined ? undefined : arr(s['enum'], 'enum').map(yamlAny),
  };
}

/** The vendor extensions (`x-` keys) of a swagger object, in document order. */
function vendorExtensions(o: JsonObject): JsonObject[] {
  return Object.entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, value]) => ({ name, value: yamlAny(value) }));
}

/**
 * gnostic re-marshals the JSON node with yaml.v3: block style, strings quoted only when plain YAML
 * would read them as something else. kubectl reads it back with a YAML 1.1 parser, hence 1.1
 * rules for quoting (`"yes"`, `"on"`); no line folding, so long strings stay on one line.
 */
export function yamlText(value: unknown): string {
  const key = JSON.stringify(value);
  let text = yamlMemo.get(key);
  if (text === undefined) {
    text = stringify(value, { version: '1.1', lineWidth: 0, minContentWidth: 0 });
    // The same few values (gvks, "merge", "atomic") recur thousands of times; keep the memo bounded.
    if (yamlMemo.size >= 10_000) yamlMemo.clear();
    yamlMemo.set(key, text);
  }
  return text;
}
const yamlMemo = new Map<string, string>();

function yamlAny(value: unknown): JsonObject {
  return { yaml: yamlText(value) };
}

// A swagger map as gnostic's list of {name, value} pairs, in document order.
function named(map: unknown, at: string, convert: (value: unknown, at: string) => JsonObject): JsonObject[] {
  return Object.entries(obj(map, at)).map(([name, value]) => ({ name, value: convert(value, `${at}[${name}]`) }));
}

const schemaOf = (v: unknown, at: string): JsonObject => schema(obj(v, at), at);

// Keys gnostic accepts for an object besides its `x-` extensions; `extensions: false` for $ref objects.
function allow(o: JsonObject, at: string, keys: readonly string[], extensions = true): void {
  for (const k of Object.keys(o)) {
    if (keys.includes(k) || (extensions && k.startsWith('x-'))) continue;
    throw new OpenApiV2EncodingError(at, `invalid property ${JSON.stringify(k)}`);
  }
}

function pick(o: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

// Drops what proto3 does not write: absent values, zero scalars and empty lists.
function compact(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

function obj(v: unknown, at: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new OpenApiV2EncodingError(at, 'expected an object');
  return v as JsonObject;
}

function arr(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw new OpenApiV2EncodingError(at, 'expected a list');
  return v;
}
