import { SchemaNode } from './schema-node';
import { isRecord, RawDefinitions, RawSchema, refName, stringArrayField, stringField } from './raw-schema';

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const LIST_TYPES = new Set(['atomic', 'set', 'map']);
const MAP_TYPES = new Set(['atomic', 'granular']);

/**
 * Turns raw OpenAPI definitions into SchemaNode trees. Every definition becomes one shared node
 * (its `ref` is the definition name); a field that refers to it with its own description gets a
 * shallow copy carrying that description, so `explain` shows the field's words, not the type's.
 */
export class SchemaNodeConverter {
  private readonly nodes = new Map<string, SchemaNode>();
  private readonly filled = new Set<string>();
  private readonly filling = new Set<string>();

  /** `base`: already converted definitions that refs in `raw` may point to (a CRD's ObjectMeta). */
  constructor(
    private readonly raw: RawDefinitions,
    private readonly base: ReadonlyMap<string, SchemaNode> = new Map(),
  ) {
    // Placeholders first so refs (also cyclic ones, e.g. JSONSchemaProps) resolve to one object.
    for (const name of Object.keys(raw)) this.nodes.set(name, { ref: name });
  }

  convertAll(): Map<string, SchemaNode> {
    for (const name of this.nodes.keys()) this.definition(name);
    return this.nodes;
  }

  private definition(name: string): SchemaNode | undefined {
    const node = this.nodes.get(name);
    if (!node) return this.base.get(name);
    if (this.filled.has(name) || this.filling.has(name)) return node;
    this.filling.add(name);
    Object.assign(node, this.convert(this.raw[name]), { ref: name });
    this.filling.delete(name);
    this.filled.add(name);
    return node;
  }

  private convert(raw: RawSchema): SchemaNode {
    const ref = stringField(raw, '$ref') ?? this.singleAllOfRef(raw);
    if (ref !== undefined) return this.fromRef(refName(ref), raw);
    const node: SchemaNode = {};
    const type = stringField(raw, 'type');
    if (type && TYPES.has(type)) node.type = type as SchemaNode['type'];
    const format = stringField(raw, 'format');
    if (format) node.format = format;
    const description = stringField(raw, 'description');
    if (description) node.description = description;
    const required = stringArrayField(raw, 'required');
    if (required?.length) node.required = required;
    const enumValues = raw['enum'];
    if (Array.isArray(enumValues) && enumValues.length) node.enum = enumValues;
    copyValueValidations(raw, node);
    if (isRecord(raw['properties'])) {
      node.properties = {};
      for (const [key, value] of Object.entries(raw['properties'])) {
        if (isRecord(value)) node.properties[key] = this.convert(value);
      }
    }
    if (isRecord(raw['items'])) node.items = this.convert(raw['items']);
    const additional = raw['additionalProperties'];
    if (typeof additional === 'boolean') node.additionalProperties = additional;
    else if (isRecord(additional)) node.additionalProperties = this.convert(additional);
    this.mergeAllOf(raw, node);
    applyExtensions(raw, node);
    return node;
  }

  private singleAllOfRef(raw: RawSchema): string | undefined {
    const allOf = raw['allOf'];
    if (!Array.isArray(allOf) || allOf.length !== 1 || raw['properties'] !== undefined) return undefined;
    const only: unknown = allOf[0];
    return isRecord(only) ? stringField(only, '$ref') : undefined;
  }

  // A field pointing at a definition: share the definition's node unless the field adds words or
  // extensions of its own.
  private fromRef(name: string, raw: RawSchema): SchemaNode {
    const target = this.definition(name) ?? { ref: name };
    const description = stringField(raw, 'description');
    const extra: SchemaNode = {};
    applyExtensions(raw, extra);
    if (!description && Object.keys(extra).length === 0) return target;
    // Inside a cycle the target is still empty; copying it would freeze the emptiness.
    if (this.filling.has(name)) return target;
    return { ...target, ...extra, ...(description ? { description } : {}) };
  }

  private mergeAllOf(raw: RawSchema, node: SchemaNode): void {
    const allOf = raw['allOf'];
    if (!Array.isArray(allOf)) return;
    for (const part of allOf) {
      if (!isRecord(part)) continue;
      const sub = this.convert(part);
      node.type ??= sub.type;
      node.description ??= sub.description;
      if (sub.properties) node.properties = { ...sub.properties, ...node.properties };
      if (sub.required) node.required = [...new Set([...(node.required ?? []), ...sub.required])];
    }
  }
}

const NUMBER_KEYWORDS = [
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
] as const;
const BOOLEAN_KEYWORDS = ['nullable', 'exclusiveMinimum', 'exclusiveMaximum', 'uniqueItems'] as const;

function copyValueValidations(raw: RawSchema, node: SchemaNode): void {
  for (const k of NUMBER_KEYWORDS) if (typeof raw[k] === 'number') node[k] = raw[k];
  for (const k of BOOLEAN_KEYWORDS) if (raw[k] === true) node[k] = true;
  const pattern = stringField(raw, 'pattern');
  if (pattern !== undefined) node.pattern = pattern;
  if (raw['default'] !== undefined) node.default = raw['default'];
}

function applyExtensions(raw: RawSchema, node: SchemaNode): void {
  if (raw['x-kubernetes-int-or-string'] === true || raw['format'] === 'int-or-string') {
    node.intOrString = true;
    // Numbers and strings are both valid: a consumer checking `type` must not reject either.
    delete node.type;
  }
  if (raw['x-kubernetes-preserve-unknown-fields'] === true) node.preserveUnknownFields = true;
  if (raw['x-kubernetes-embedded-resource'] === true) node.embeddedResource = true;
  const strategy = stringField(raw, 'x-kubernetes-patch-strategy');
  if (strategy) node.patchStrategy = strategy;
  const mergeKey = stringField(raw, 'x-kubernetes-patch-merge-key');
  if (mergeKey) node.patchMergeKey = mergeKey;
  const listType = stringField(raw, 'x-kubernetes-list-type');
  if (listType && LIST_TYPES.has(listType)) node.listType = listType as SchemaNode['listType'];
  const mapKeys = stringArrayField(raw, 'x-kubernetes-list-map-keys');
  if (mapKeys?.length) node.listMapKeys = mapKeys;
  const mapType = stringField(raw, 'x-kubernetes-map-type');
  if (mapType && MAP_TYPES.has(mapType)) node.mapType = mapType as SchemaNode['mapType'];
}
