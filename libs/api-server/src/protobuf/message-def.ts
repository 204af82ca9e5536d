// Hand-written tables that describe Kubernetes proto2 messages by field number.
// JSON names are the Go `json:` names; numbers come from the upstream generated.proto files.

export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'float' | 'bytes';

// Types whose JSON form differs from their proto form (meta/v1, api/resource, util/intstr, runtime).
export type SpecialType = 'time' | 'microTime' | 'duration' | 'quantity' | 'intOrString' | 'rawExtension' | 'fieldsV1';

export type ValueKind =
  // keepZero: Go pointers and fields without `omitempty` keep a zero value in JSON; others drop it.
  | { readonly kind: 'scalar'; readonly type: ScalarType; readonly keepZero: boolean }
  | { readonly kind: 'special'; readonly type: SpecialType }
  | { readonly kind: 'message'; readonly def: MessageDef };

export type FieldKind =
  | ValueKind
  | { readonly kind: 'repeated'; readonly of: ValueKind }
  // proto `map<string, V>`: repeated entries {1: key, 2: value}.
  | { readonly kind: 'map'; readonly value: ValueKind }
  // A Go struct embedded with `json:",inline"`: its fields land in the parent object.
  | { readonly kind: 'inline'; readonly def: MessageDef };

export type FieldDef = readonly [jsonName: string, kind: FieldKind];

export interface MessageDef {
  readonly [fieldNumber: number]: FieldDef;
}

function scalar(type: ScalarType): ValueKind {
  return { kind: 'scalar', type, keepZero: false };
}

function special(type: SpecialType): ValueKind {
  return { kind: 'special', type };
}

// Non-pointer scalars tagged `omitempty`: a zero value is dropped like Go's JSON encoder does.
export const str = scalar('string');
export const i32 = scalar('int32');
export const i64 = scalar('int64');
export const bool = scalar('bool');
export const f64 = scalar('double');
export const f32 = scalar('float');
export const bytes = scalar('bytes');

export const time = special('time');
export const microTime = special('microTime');
export const duration = special('duration');
export const quantity = special('quantity');
export const intOrString = special('intOrString');
export const rawExtension = special('rawExtension');
export const fieldsV1 = special('fieldsV1');

function keepZero(k: ValueKind): ValueKind {
  return k.kind === 'scalar' ? { ...k, keepZero: true } : k;
}

/** A Go pointer field (`*int32`, `*bool`, `*string`): a set zero value is kept. */
export const ptr = keepZero;
/** A Go field without `omitempty`: its zero value is kept. */
export const req = keepZero;

export function msg(def: MessageDef): ValueKind {
  return { kind: 'message', def };
}

export function list(of: ValueKind): FieldKind {
  return { kind: 'repeated', of };
}

export function mapOf(value: ValueKind): FieldKind {
  return { kind: 'map', value };
}

export function inline(def: MessageDef): FieldDef {
  return ['', { kind: 'inline', def }];
}
