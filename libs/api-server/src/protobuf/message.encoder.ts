import { FieldKind, MessageDef, ScalarType, ValueKind } from './message-def';
import { JsonObject } from './message.decoder';
import { ProtoWireError, WireType } from './proto-reader';
import { ProtoWriter } from './proto-writer';

// Table-driven object → protobuf, the inverse of decodeMessage for plain messages (the special
// Kubernetes types are not needed by anything Skiff encodes). Fields go out in field-number order
// as Go's proto.Marshal writes them; a zero scalar is left out unless its kind keeps zero values;
// repeated scalars are written unpacked, which proto2 and proto3 readers both accept.

/** Encodes `value` as the message `def` describes. Keys `def` does not know are an error. */
export function encodeMessage(value: JsonObject, def: MessageDef): Uint8Array {
  const w = new ProtoWriter();
  writeMessage(w, value, def, '');
  return w.finish();
}

interface CompiledField {
  readonly num: number;
  readonly name: string;
  readonly kind: FieldKind;
}

// A table's fields in field-number order and its field names, worked out once per table.
const compiled = new WeakMap<MessageDef, { fields: CompiledField[]; names: Set<string> }>();

function compile(def: MessageDef): { fields: CompiledField[]; names: Set<string> } {
  let c = compiled.get(def);
  if (!c) {
    const fields = Object.entries(def).map(([num, [name, kind]]) => ({ num: Number(num), name, kind }));
    c = { fields, names: new Set(fields.map((f) => f.name)) };
    compiled.set(def, c);
  }
  return c;
}

function writeMessage(w: ProtoWriter, value: JsonObject, def: MessageDef, path: string): void {
  const { fields, names } = compile(def);
  let written = 0;
  for (const { num, name, kind } of fields) {
    const v = value[name];
    if (v === undefined) continue;
    written++;
    if (v !== null) writeField(w, num, kind, v, path ? `${path}.${name}` : name);
  }
  if (written === Object.keys(value).length) return;
  for (const key of Object.keys(value)) {
    if (!names.has(key) && value[key] !== undefined)
      throw new ProtoWireError(`${path ? `${path}.` : ''}${key}: no such field in the message`);
  }
}

function writeField(w: ProtoWriter, num: number, kind: FieldKind, v: unknown, path: string): void {
  switch (kind.kind) {
    case 'repeated':
      if (!Array.isArray(v)) throw new ProtoWireError(`${path}: expected a list`);
      v.forEach((item: unknown, i) => writeValue(w, num, kind.of, item, `${path}[${i}]`, true));
      return;
    case 'map':
      for (const [key, item] of Object.entries(object(v, path))) {
        w.begin(num);
        w.tag(1, WireType.LengthDelimited).string(key);
        writeValue(w, 2, kind.value, item, `${path}[${key}]`, true);
        w.close();
      }
      return;
    case 'inline':
      throw new ProtoWireError(`${path}: inline fields are not encoded`);
    default:
      writeValue(w, num, kind, v, path, false);
  }
}

// `always`: list items and map values are written even when zero.
function writeValue(w: ProtoWriter, num: number, kind: ValueKind, v: unknown, path: string, always: boolean): void {
  switch (kind.kind) {
    case 'message':
      w.begin(num);
      writeMessage(w, object(v, path), kind.def, path);
      w.close();
      return;
    case 'special':
      throw new ProtoWireError(`${path}: ${kind.type} values are not encoded`);
    case 'scalar':
      if (!always && !kind.keepZero && (v === '' || v === 0 || v === false)) return;
      writeScalar(w, num, kind.type, v, path);
  }
}

function writeScalar(w: ProtoWriter, num: number, type: ScalarType, v: unknown, path: string): void {
  switch (type) {
    case 'string':
      w.tag(num, WireType.LengthDelimited).string(typed(v, 'string', path));
      return;
    case 'bytes':
      w.tag(num, WireType.LengthDelimited).bytes(Buffer.from(typed(v, 'string', path), 'base64'));
      return;
    case 'bool':
      w.tag(num, WireType.Varint).varint(typed(v, 'boolean', path) ? 1 : 0);
      return;
    case 'int32':
    case 'int64':
      if (!Number.isInteger(v)) throw new ProtoWireError(`${path}: expected an integer, got ${JSON.stringify(v)}`);
      w.tag(num, WireType.Varint).varint(v as number);
      return;
    case 'double':
      w.tag(num, WireType.Fixed64).double(typed(v, 'number', path));
      return;
    case 'float':
      w.tag(num, WireType.Fixed32).float(typed(v, 'number', path));
  }
}

function typed<T extends 'string' | 'number' | 'boolean'>(
  v: unknown,
  type: T,
  path: string,
): { string: string; number: number; boolean: boolean }[T] {
  if (typeof v !== type) throw new ProtoWireError(`${path}: expected a ${type}, got ${JSON.stringify(v)}`);
  return v as { string: string; number: number; boolean: boolean }[T];
}

function object(v: unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtoWireError(`${path}: expected an object`);
  return v as JsonObject;
}
