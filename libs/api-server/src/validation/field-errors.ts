// Builds StatusCauses worded exactly as k8s.io/apimachinery/pkg/util/validation/field renders them,
// so `kubectl` users read the messages they already know.
import type { StatusCause } from '@skiff/api-machinery';

/** A Go-formatted value for messages: strings are quoted, numbers/bools bare, `GoValue` printed verbatim. */
export class GoValue {
  constructor(readonly text: string) {}
}

export function renderValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function cause(reason: string, field: string, message: string): StatusCause {
  return { reason, field, message };
}

function withDetail(s: string, detail?: string): string {
  return detail ? `${s}: ${detail}` : s;
}

export function required(field: string, detail = ''): StatusCause {
  return cause('FieldValueRequired', field, withDetail('Required value', detail));
}

export function invalid(field: string, value: unknown, detail: string): StatusCause {
  return cause('FieldValueInvalid', field, withDetail(`Invalid value: ${renderValue(value)}`, detail));
}

export function notSupported(field: string, value: unknown, valid: readonly string[]): StatusCause {
  const detail = valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return cause('FieldValueNotSupported', field, withDetail(`Unsupported value: ${renderValue(value)}`, detail));
}

export function duplicate(field: string, value: unknown): StatusCause {
  return cause('FieldValueDuplicate', field, `Duplicate value: ${renderValue(value)}`);
}

export function forbidden(field: string, detail: string): StatusCause {
  return cause('FieldValueForbidden', field, withDetail('Forbidden', detail));
}

export function tooLong(field: string, maxBytes: number): StatusCause {
  return cause('FieldValueTooLong', field, `Too long: must have at most ${maxBytes} bytes`);
}

export function tooMany(field: string, actual: number, max: number): StatusCause {
  return cause('FieldValueTooMany', field, `Too many: ${actual}: must have at most ${max} items`);
}

export function notFound(field: string, value: unknown): StatusCause {
  return cause('FieldValueNotFound', field, `Not found: ${renderValue(value)}`);
}

/** `ValidateImmutableField`: reports when a value changed on update. */
export function immutable(field: string, value: unknown): StatusCause {
  return invalid(field, value, 'field is immutable');
}

/** `ValidateNonnegativeField` */
export function nonNegative(field: string, value: number | undefined): StatusCause[] {
  return value !== undefined && value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** Go's `%#v` of a map[string]string, keys sorted as fmt prints them. */
export function goStringMap(m: Record<string, string> | undefined): GoValue {
  if (!m) return new GoValue('map[string]string(nil)');
  const body = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`)
    .join(', ');
  return new GoValue(`map[string]string{${body}}`);
}
