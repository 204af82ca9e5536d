import { SchemaNode } from '../schema/schema-node';
import { SchemaRegistry } from '../schema/schema-registry.service';

export type JsonObject = Record<string, unknown>;

/** `#/components/schemas/` for OpenAPI v3, `#/definitions/` for swagger 2.0. */
export type RefStyle = 'v2' | 'v3';
const REF_PREFIX: Record<RefStyle, string> = { v2: '#/definitions/', v3: '#/components/schemas/' };

export function refTo(name: string, style: RefStyle): JsonObject {
  return { $ref: `${REF_PREFIX[style]}${name}` };
}

/** The definition names `roots` reach through their fields, roots included, sorted. */
export function definitionClosure(roots: Iterable<string>, registry: SchemaRegistry): string[] {
  const seen = new Set<string>();
  const visitNode = (node: SchemaNode): void => {
    if (node.ref !== undefined) return visitDefinition(node.ref);
    visitChildren(node);
  };
  const visitChildren = (node: SchemaNode): void => {
    for (const child of Object.values(node.properties ?? {})) visitNode(child);
    if (node.items) visitNode(node.items);
    if (typeof node.additionalProperties === 'object') visitNode(node.additionalProperties);
  };
  const visitDefinition = (name: string): void => {
    if (seen.has(name)) return;
    const def = registry.definition(name);
    if (!def) return;
    seen.add(name);
    visitChildren(def);
  };
  for (const root of roots) visitDefinition(root);
  return [...seen].sort();
}

/** One definition as an OpenAPI schema object, with x-kubernetes-group-version-kind on kinds. */
export function emitDefinition(name: string, registry: SchemaRegistry, style: RefStyle): JsonObject {
  const node = registry.definition(name);
  if (!node) return {};
  const out = emitInline(node, registry, style);
  const gvks = registry.groupVersionKinds(name);
  if (gvks.length)
    out['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return out;
}

function emitField(node: SchemaNode, registry: SchemaRegistry, style: RefStyle): JsonObject {
  if (node.ref === undefined) return emitInline(node, registry, style);
  const def = registry.definition(node.ref);
  const own: JsonObject = {};
  if (node.description && node.description !== def?.description) own['description'] = node.description;
  Object.assign(own, extensionsOf(node, def));
  if (Object.keys(own).length === 0) return refTo(node.ref, style);
  // Upstream v3 wraps a described ref in allOf so the field's description survives; v2 keeps siblings.
  return style === 'v3' ? { allOf: [refTo(node.ref, style)], ...own } : { ...refTo(node.ref, style), ...own };
}

const VALUE_KEYWORDS = [
  'nullable',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
] as const;

function emitInline(node: SchemaNode, registry: SchemaRegistry, style: RefStyle): JsonObject {
  const out: JsonObject = {};
  if (node.description) out['description'] = node.description;
  if (node.intOrString) {
    out['type'] = 'string';
    out['format'] = 'int-or-string';
  } else {
    if (node.type) out['type'] = node.type;
    if (node.format) out['format'] = node.format;
  }
  if (node.enum) out['enum'] = node.enum;
  for (const k of VALUE_KEYWORDS) if (node[k] !== undefined) out[k] = node[k];
  if (node.required) out['required'] = node.required;
  if (node.properties) {
    const props: JsonObject = {};
    for (const [key, child] of Object.entries(node.properties)) props[key] = emitField(child, registry, style);
    out['properties'] = props;
  }
  if (node.items) out['items'] = emitField(node.items, registry, style);
  if (typeof node.additionalProperties === 'object')
    out['additionalProperties'] = emitField(node.additionalProperties, registry, style);
  else if (node.additionalProperties === true) out['additionalProperties'] = true;
  Object.assign(out, extensionsOf(node, undefined));
  return out;
}

// Extensions a node carries that its definition (if any) does not already state.
function extensionsOf(node: SchemaNode, def: SchemaNode | undefined): JsonObject {
  const out: JsonObject = {};
  const put = (key: string, value: unknown, defValue: unknown): void => {
    if (value !== undefined && value !== false && JSON.stringify(value) !== JSON.stringify(defValue)) out[key] = value;
  };
  put('x-kubernetes-embedded-resource', node.embeddedResource, def?.embeddedResource);
  put('x-kubernetes-int-or-string', node.intOrString && node.ref === undefined ? true : undefined, undefined);
  put('x-kubernetes-list-map-keys', node.listMapKeys, def?.listMapKeys);
  put('x-kubernetes-list-type', node.listType, def?.listType);
  put('x-kubernetes-map-type', node.mapType, def?.mapType);
  put('x-kubernetes-patch-merge-key', node.patchMergeKey, def?.patchMergeKey);
  put('x-kubernetes-patch-strategy', node.patchStrategy, def?.patchStrategy);
  put('x-kubernetes-preserve-unknown-fields', node.preserveUnknownFields, def?.preserveUnknownFields);
  return out;
}
