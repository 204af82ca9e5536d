// Value validation of a custom resource against its CRD's structural schema, with the causes
// the apiextensions-apiserver builds from kube-openapi's results: field paths like
// `spec.replicas` and messages like `spec.replicas in body must be of type integer: "string"`.
import { isDeepStrictEqual } from 'node:util';
import type { StatusCause } from '@skiff/api-machinery';
import { child, duplicate, index, invalid, notSupported, required, tooLong, tooMany } from '../validation/field-errors';
import { SchemaNode } from './schema-node';

// Fields of an object (the root or an embedded resource) that ObjectMeta validation owns.
const TYPE_META = ['apiVersion', 'kind', 'metadata'];

/** Causes for `value` at `path` ('' for the whole object). Empty means valid. */
export function validateStructural(value: unknown, schema: SchemaNode, path = ''): StatusCause[] {
  const out: StatusCause[] = [];
  walk(value, schema, path, out, path === '');
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeInvalid(path: string, actual: string, expected: string): StatusCause {
  return {
    ...invalid(path, actual, `${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`),
    reason: 'FieldValueTypeInvalid',
  };
}

function typeMatches(v: unknown, type: NonNullable<SchemaNode['type']>): boolean {
  const actual = typeName(v);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function walk(value: unknown, s: SchemaNode, path: string, out: StatusCause[], root = false): void {
  if (value === null) {
    if (!s.nullable && (s.type || s.intOrString))
      out.push(typeInvalid(path, 'null', s.intOrString ? 'integer,string' : s.type!));
    return;
  }
  if (s.intOrString) {
    const t = typeName(value);
    if (t !== 'integer' && t !== 'string') return void out.push(typeInvalid(path, t, 'integer,string'));
  } else if (s.type && !typeMatches(value, s.type)) {
    return void out.push(typeInvalid(path, typeName(value), s.type));
  }
  if (s.enum && !s.enum.some((e) => isDeepStrictEqual(e, value))) {
    out.push(
      notSupported(
        path,
        value,
        s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }
  if (typeof value === 'string') checkString(value, s, path, out);
  else if (typeof value === 'number') checkNumber(value, s, path, out);
  else if (Array.isArray(value)) checkArray(value, s, path, out);
  else if (typeof value === 'object')
    checkObject(value as Record<string, unknown>, s, path, out, root || s.embeddedResource === true);
}

function checkString(v: string, s: SchemaNode, path: string, out: StatusCause[]): void {
  const length = [...v].length;
  if (s.maxLength !== undefined && length > s.maxLength) out.push(tooLong(path, s.maxLength));
  if (s.minLength !== undefined && length < s.minLength)
    out.push(invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
  if (s.pattern !== undefined && !matches(s.pattern, v))
    out.push(invalid(path, v, `${path} in body should match '${s.pattern}'`));
  if (s.format && !formatMatches(s.format, v))
    out.push(invalid(path, v, `${path} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
}

function checkNumber(v: number, s: SchemaNode, path: string, out: StatusCause[]): void {
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum) {
      out.push(
        invalid(path, v, `${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`),
      );
    }
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum) {
      out.push(
        invalid(
          path,
          v,
          `${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`,
        ),
      );
    }
  }
  if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) {
    out.push(invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`));
  }
}

function checkArray(v: unknown[], s: SchemaNode, path: string, out: StatusCause[]): void {
  if (s.maxItems !== undefined && v.length > s.maxItems) out.push(tooMany(path, v.length, s.maxItems));
  if (s.minItems !== undefined && v.length < s.minItems)
    out.push(invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`));
  if (s.items) v.forEach((item, i) => walk(item, s.items!, index(path, i), out));
  if (s.listType === 'set') {
    v.forEach((item, i) => {
      if (v.findIndex((o) => isDeepStrictEqual(o, item)) < i) out.push(duplicate(index(path, i), item));
    });
  } else if (s.listType === 'map' && s.listMapKeys?.length) {
    const keys = s.listMapKeys;
    const keyOf = (item: unknown): string => JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const k = keyOf(item);
      if (seen.has(k))
        out.push(
          duplicate(
            index(path, i),
            Object.fromEntries(keys.map((key) => [key, isObject(item) ? item[key] : undefined])),
          ),
        );
      seen.add(k);
    });
  }
}

function checkObject(
  v: Record<string, unknown>,
  s: SchemaNode,
  path: string,
  out: StatusCause[],
  resource: boolean,
): void {
  const keys = Object.keys(v);
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
    out.push(invalid(path, keys.length, `${path} in body should have at most ${s.maxProperties} properties`));
  }
  if (s.minProperties !== undefined && keys.length < s.minProperties) {
    out.push(invalid(path, keys.length, `${path} in body should have at least ${s.minProperties} properties`));
  }
  if (resource && path !== '') {
    // An embedded resource names its own type, as a top-level object does.
    for (const f of ['apiVersion', 'kind'])
      if (typeof v[f] !== 'string' || v[f] === '') out.push(required(child(path, f), ''));
  }
  for (const r of s.required ?? []) {
    if (!(r in v) && !(resource && TYPE_META.includes(r))) out.push(required(child(path, r), ''));
  }
  for (const [k, item] of Object.entries(v)) {
    if (resource && TYPE_META.includes(k)) continue;
    const prop = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (prop) walk(item, prop, child(path, k), out);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const patterns = new Map<string, RegExp | null>();

function matches(pattern: string, v: string): boolean {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null; // the CRD validation rejects such patterns; an old stored one matches everything
    }
    patterns.set(pattern, re);
  }
  return re === null || re.test(v);
}

// The simple string formats of kube-openapi's strfmt registry; unknown formats pass, as upstream.
const FORMATS: Record<string, RegExp | ((v: string) => boolean)> = {
  'date-time': (v) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
  email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
  hostname:
    /^(?=.{1,253}$)[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/,
};

function formatMatches(format: string, v: string): boolean {
  const f = FORMATS[format];
  if (!f) return true;
  return typeof f === 'function' ? f(v) : f.test(v);
}
