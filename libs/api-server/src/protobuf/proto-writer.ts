import { WireType } from './proto-reader';

// A minimal protobuf wire-format writer, the counterpart of ProtoReader: enough to encode
// messages Skiff serves (the gnostic OpenAPI v2 document), fields written in the order given.

const INITIAL_CHUNK = 64 * 1024;

export class ProtoWriter {
  // Finished chunks; a `number` slot is the still-open length-delimited field with that number,
  // filled with its tag and length when the field is closed (so nothing is copied twice).
  private parts: (Uint8Array | number)[] = [];
  private buf = Buffer.allocUnsafe(INITIAL_CHUNK);
  private pos = 0;
  private written = 0;
  private open: { slot: number; startedAt: number }[] = [];

  tag(fieldNumber: number, wireType: WireType): this {
    checkFieldNumber(fieldNumber);
    return this.uint(fieldNumber * 8 + wireType);
  }

  /** An unsigned varint; negative int32/int64 values take ten bytes (two's complement), as protobuf requires. */
  varint(value: number | bigint): this {
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) return this.uint(value);
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  double(value: number): this {
    this.reserve(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
    return this;
  }

  float(value: number): this {
    this.reserve(4);
    this.pos = this.buf.writeFloatLE(value, this.pos);
    return this;
  }

  /** A length-prefixed run of bytes. */
  bytes(value: Uint8Array): this {
    this.uint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** A length-prefixed UTF-8 string. */
  string(value: string): this {
    const len = Buffer.byteLength(value, 'utf8');
    this.uint(len);
    this.reserve(len);
    this.pos += this.buf.write(value, this.pos, len, 'utf8');
    return this;
  }

  /** Opens length-delimited field `fieldNumber`; what is written until `close()` is its content. */
  begin(fieldNumber: number): this {
    checkFieldNumber(fieldNumber);
    this.flush();
    this.parts.push(fieldNumber);
    this.open.push({ slot: this.parts.length - 1, startedAt: this.written });
    return this;
  }

  close(): this {
    const field = this.open.pop();
    if (!field) throw new Error('close() without begin()');
    this.flush();
    const fieldNumber = this.parts[field.slot] as number;
    const size = this.written - field.startedAt;
    const header = varintBytes([], fieldNumber * 8 + WireType.LengthDelimited);
    this.parts[field.slot] = Uint8Array.from(varintBytes(header, size));
    this.written += header.length;
    return this;
  }

  /** The encoded bytes. Every begin() must have been closed. */
  finish(): Uint8Array {
    if (this.open.length) throw new Error(`${this.open.length} length-delimited field(s) still open`);
    this.flush();
    if (this.parts.length === 1) return this.parts[0] as Uint8Array;
    const out = new Uint8Array(this.written);
    let at = 0;
    for (const part of this.parts) {
      const chunk = part as Uint8Array;
      out.set(chunk, at);
      at += chunk.length;
    }
    this.parts = [out];
    return out;
  }

  private uint(value: number): this {
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, INITIAL_CHUNK));
  }

  // Moves the bytes written so far into `parts` and starts a fresh chunk.
  private flush(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.subarray(0, this.pos));
    this.written += this.pos;
    // The rest of the chunk stays in use; the part just pushed is never written again.
    this.buf = this.buf.length - this.pos >= 1024 ? this.buf.subarray(this.pos) : Buffer.allocUnsafe(INITIAL_CHUNK);
    this.pos = 0;
  }
}

function varintBytes(out: number[], value: number): number[] {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function checkFieldNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 0x1fffffff) throw new RangeError(`invalid field number ${n}`);
}
