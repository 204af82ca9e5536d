import { FieldKind, MessageDef, ScalarType, SpecialType, ValueKind } from './message-def';
import { ProtoReader, ProtoWireError, WireType } from './proto-reader';

// Table-driven proto2 → JSON: the object Go's encoding/json would print for the same Go value.

export type JsonObject = Record<string, unknown>;

const OMIT = Symbol('omit');

function expectedWireType(v: ValueKind): WireType {
  if (v.kind !== 'scalar') return WireType.LengthDelimited;
  switch (v.type) {
    case 'string':
    case 'bytes':
      return WireType.LengthDelimited;
    case 'double':
      return WireType.Fixed64;
    case 'float':
      return WireType.Fixed32;
    default:
      return WireType.Varint;
  }
}

function readScalar(r: ProtoReader, type: ScalarType): unknown {
  switch (type) {
    case 'string':
      return r.readString();
    case 'bytes':
      return base64(r.readBytes());
    case 'int32':
      return r.readInt32();
    case 'int64':
      return r.readInt64();
    case 'bool':
      return r.readBool();
    case 'double':
      return r.readFixed64Double();
    case 'float':
      return r.readFixed32Float();
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function readValue(r: ProtoReader, v: ValueKind, path: string): unknown {
  switch (v.kind) {
    case 'scalar':
      return readScalar(r, v.type);
    case 'special':
      return decodeSpecial(r.readBytes(), v.type, path);
    case 'message':
      return decodeMessage(r.readBytes(), v.def, path);
  }
}

function checkWire(got: WireType, want: WireType, path: string): void {
  if (got !== want) throw new ProtoWireError(`${path}: wire type ${got} where ${want} was expected`);
}

export function decodeMessage(data: Uint8Array, def: MessageDef, path = ''): JsonObject {
  const out: JsonObject = {};
  const r = new ProtoReader(data);
  while (!r.done) {
    const { fieldNumber, wireType } = r.readTag();
    const field = def[fieldNumber];
    if (!field) {
      r.skip(wireType, fieldNumber);
      continue;
    }
    const [name, kind] = field;
    const at = path ? `${path}.${name}` : name;
    decodeField(r, wireType, kind, name, at, out);
  }
  return out;
}

function decodeField(
  r: ProtoReader,
  wireType: WireType,
  kind: FieldKind,
  name: string,
  at: string,
  out: JsonObject,
): void {
  switch (kind.kind) {
    case 'inline':
      checkWire(wireType, WireType.LengthDelimited, at);
      Object.assign(out, decodeMessage(r.readBytes(), kind.def, at));
      return;
    case 'repeated': {
      const items = (out[name] ??= []) as unknown[];
      const want = expectedWireType(kind.of);
      if (wireType === WireType.LengthDelimited && want !== WireType.LengthDelimited) {
        // Packed repeated scalars: one length-delimited run of values.
        const packed = new ProtoReader(r.readBytes());
        while (!packed.done) items.push(readValue(packed, kind.of, at));
        return;
      }
      checkWire(wireType, want, at);
      items.push(readValue(r, kind.of, at));
      return;
    }
    case 'map': {
      checkWire(wireType, WireType.LengthDelimited, at);
      const entries = (out[name] ??= {}) as JsonObject;
      const [key, value] = decodeMapEntry(r.readBytes(), kind.value, at);
      entries[key] = value;
      return;
    }
    default: {
      checkWire(wireType, expectedWireType(kind), at);
      const value = readValue(r, kind, at);
      if (kind.kind === 'scalar' && !kind.keepZero && isZero(value)) delete out[name];
      else out[name] = value;
    }
  }
}

function decodeMapEntry(data: Uint8Array, valueKind: ValueKind, path: string): [string, unknown] {
  const r = new ProtoReader(data);
  let key = '';
  let value: unknown = OMIT;
  while (!r.done) {
    const { fieldNumber, wireType } = r.readTag();
    if (fieldNumber === 1) {
      checkWire(wireType, WireType.LengthDelimited, `${path} key`);
      key = r.readString();
    } else if (fieldNumber === 2) {
      checkWire(wireType, expectedWireType(valueKind), `${path}[${key}]`);
      value = readValue(r, valueKind, `${path}[${key}]`);
    } else {
      r.skip(wireType, fieldNumber);
    }
  }
  return [key, value === OMIT ? emptyValue(valueKind, path) : value];
}

// A map entry may leave out a zero value.
function emptyValue(v: ValueKind, path: string): unknown {
  if (v.kind === 'scalar') return v.type === 'string' || v.type === 'bytes' ? '' : v.type === 'bool' ? false : 0;
  return v.kind === 'special' ? decodeSpecial(new Uint8Array(0), v.type, path) : {};
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Walks the fields of a small well-known message; `read` returns false for a field it did not consume. */
function fieldsOf(data: Uint8Array, read: (r: ProtoReader, n: number, w: WireType) => boolean): void {
  const r = new ProtoReader(data);
  while (!r.done) {
    const { fieldNumber, wireType } = r.readTag();
    if (!read(r, fieldNumber, wireType)) r.skip(wireType, fieldNumber);
  }
}

function decodeSpecial(data: Uint8Array, type: SpecialType, path: string): unknown {
  switch (type) {
    case 'time':
    case 'microTime': {
      // metav1.Time marshals a zero time as an empty message; its JSON form is null.
      if (data.length === 0) return null;
      let seconds = 0;
      let nanos = 0;
      fieldsOf(data, (r, n, w) => {
        if (n === 1 && w === WireType.Varint) seconds = r.readInt64();
        else if (n === 2 && w === WireType.Varint) nanos = r.readInt32();
        else return false;
        return true;
      });
      // metav1.Time keeps whole seconds only; MicroTime keeps microseconds.
      return type === 'time'
        ? formatRfc3339(seconds, '')
        : formatRfc3339(seconds, `.${String(Math.floor(nanos / 1000)).padStart(6, '0')}`);
    }
    case 'duration': {
      let ns = 0n;
      fieldsOf(data, (r, n, w) => {
        if (n !== 1 || w !== WireType.Varint) return false;
        ns = BigInt.asIntN(64, r.readVarint());
        return true;
      });
      return formatGoDuration(ns);
    }
    case 'quantity': {
      let s = '';
      fieldsOf(data, (r, n, w) => {
        if (n !== 1 || w !== WireType.LengthDelimited) return false;
        s = r.readString();
        return true;
      });
      return s === '' ? '0' : s;
    }
    case 'intOrString': {
      let isString = false;
      let intVal = 0;
      let strVal = '';
      fieldsOf(data, (r, n, w) => {
        if (n === 1 && w === WireType.Varint) isString = r.readInt64() === 1;
        else if (n === 2 && w === WireType.Varint) intVal = r.readInt32();
        else if (n === 3 && w === WireType.LengthDelimited) strVal = r.readString();
        else return false;
        return true;
      });
      return isString ? strVal : intVal;
    }
    case 'rawExtension':
    case 'fieldsV1': {
      let raw: Uint8Array | undefined;
      fieldsOf(data, (r, n, w) => {
        if (n !== 1 || w !== WireType.LengthDelimited) return false;
        raw = r.readBytes();
        return true;
      });
      if (!raw || raw.length === 0) return null;
      try {
        return JSON.parse(Buffer.from(raw).toString('utf8')) as unknown;
      } catch {
        throw new ProtoWireError(`${path}: embedded raw object is not JSON`);
      }
    }
  }
}

function formatRfc3339(seconds: number, fraction: string): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2026-01-02T03:04:05.000Z
  return `${iso.slice(0, 19)}${fraction}Z`;
}

/** Go's time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${fraction(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${fraction(u, 6)}ms`;
  const totalSeconds = u / 1_000_000_000n;
  const secs = `${fraction(u % 60_000_000_000n, 9)}s`;
  const minutes = totalSeconds / 60n;
  if (minutes === 0n) return `${sign}${secs}`;
  const hours = minutes / 60n;
  const m = `${minutes % 60n}m`;
  return hours === 0n ? `${sign}${m}${secs}` : `${sign}${hours}h${m}${secs}`;
}

// v / 10^digits as a decimal without trailing zeros, e.g. fraction(1500n, 3) = "1.5".
function fraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${v / scale}.${frac}` : `${v / scale}`;
}
