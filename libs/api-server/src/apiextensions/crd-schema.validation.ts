// A CRD's openAPIV3Schema must be structural (every field typed, no $ref, metadata left to
// the server) with defaults that validate, as apiextensions-apiserver requires for v1.
import type { StatusCause } from '@skiff/api-machinery';
import { isRecord, RawSchema } from '../schema/raw-schema';
import { SchemaNode } from '../schema/schema-node';
import { SchemaNodeConverter } from '../schema/schema-node.converter';
import { validateStructural } from '../schema/structural-schema.validator';
import { child, forbidden, invalid, notSupported, required } from '../validation/field-errors';
import { errorMessage } from '@skiff/api-machinery';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

export function validateCrdSchema(schema: RawSchema, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (schema['type'] === undefined) out.push(required(child(path, 'type'), 'must not be empty at the root'));
  else if (schema['type'] !== 'object')
    out.push(invalid(child(path, 'type'), schema['type'], 'must be object at the root'));
  const props = isRecord(schema['properties']) ? schema['properties'] : {};
  const meta = props['metadata'];
  if (isRecord(meta) && !metadataIsPlain(meta)) {
    out.push(
      forbidden(
        `${child(path, 'properties')}[metadata]`,
        'must not specify anything other than name and generateName, but metadata is implicitly specified',
      ),
    );
  }
  const node = new SchemaNodeConverter({ root: schema }).convertAll().get('root')!;
  walk(schema, node, path, out, true);
  return out;
}

function metadataIsPlain(meta: RawSchema): boolean {
  const keys = Object.keys(meta).filter((k) => k !== 'type' && k !== 'description');
  if (keys.some((k) => k !== 'properties')) return false;
  const props = isRecord(meta['properties']) ? Object.keys(meta['properties']) : [];
  return props.every((p) => p === 'name' || p === 'generateName');
}

function walk(raw: RawSchema, node: SchemaNode, path: string, out: StatusCause[], root = false): void {
  if (raw['$ref'] !== undefined) out.push(forbidden(child(path, '$ref'), '$ref is not supported'));
  for (const k of ['allOf', 'anyOf', 'oneOf', 'not']) {
    // Value validations only; Skiff does not evaluate logical junctors.
    if (raw[k] !== undefined) out.push(forbidden(child(path, k), `${k} is not supported by Skiff`));
  }
  const type = raw['type'];
  const intOrString = raw['x-kubernetes-int-or-string'] === true;
  const preserve = raw['x-kubernetes-preserve-unknown-fields'] === true;
  if (type !== undefined && !TYPES.includes(String(type))) out.push(notSupported(child(path, 'type'), type, TYPES));
  if (!root && type === undefined && !intOrString && !preserve)
    out.push(required(child(path, 'type'), 'must not be empty for specified fields'));
  if (intOrString && type !== undefined)
    out.push(forbidden(child(path, 'type'), 'must be empty to be structural with x-kubernetes-int-or-string'));
  if (raw['x-kubernetes-embedded-resource'] === true && type !== 'object')
    out.push(required(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true'));
  if (raw['uniqueItems'] === true)
    out.push(
      forbidden(
        child(path, 'uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  if (
    raw['properties'] !== undefined &&
    raw['additionalProperties'] !== undefined &&
    raw['additionalProperties'] !== false
  ) {
    out.push(
      forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'),
    );
  }
  if (typeof raw['pattern'] === 'string') {
    try {
      new RegExp(raw['pattern'], 'u');
    } catch (err) {
      out.push(
        invalid(
          child(path, 'pattern'),
          raw['pattern'],
          `must be a valid regular expression, but isn't: ${errorMessage(err)}`,
        ),
      );
    }
  }
  if (raw['default'] !== undefined) {
    out.push(...validateStructural(raw['default'], node, child(path, 'default')));
  }
  if (isRecord(raw['properties'])) {
    for (const [k, v] of Object.entries(raw['properties'])) {
      if (isRecord(v) && !(root && k === 'metadata'))
        walk(v, node.properties?.[k] ?? {}, `${child(path, 'properties')}[${k}]`, out);
    }
  }
  if (isRecord(raw['items'])) walk(raw['items'], node.items ?? {}, child(path, 'items'), out);
  else if (raw['items'] !== undefined)
    out.push(forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (isRecord(raw['additionalProperties'])) {
    walk(
      raw['additionalProperties'],
      typeof node.additionalProperties === 'object' ? node.additionalProperties : {},
      child(path, 'additionalProperties'),
      out,
    );
  }
  if (type === 'array' && raw['items'] === undefined) out.push(required(child(path, 'items'), 'must be specified'));
}
