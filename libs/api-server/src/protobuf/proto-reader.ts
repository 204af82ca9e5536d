// A minimal protobuf wire-format reader: enough for the proto2 messages Kubernetes sends.

export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

export class ProtoWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoWireError';
  }
}

export interface FieldTag {
  readonly fieldNumber: number;
  readonly wireType: WireType;
}

export class ProtoReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  readTag(): FieldTag {
    const tag = this.readVarint();
    const fieldNumber = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (fieldNumber === 0) throw new ProtoWireError(`invalid field number 0 at offset ${this.pos}`);
    if (wireType > WireType.Fixed32) throw new ProtoWireError(`invalid wire type ${wireType} for field ${fieldNumber}`);
    return { fieldNumber, wireType };
  }

  /** An unsigned varint of up to 64 bits. */
  readVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtoWireError('unexpected end of data in varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new ProtoWireError('varint longer than 10 bytes');
  }

  readInt32(): number {
    return Number(BigInt.asIntN(32, this.readVarint()));
  }

  readInt64(): number {
    return Number(BigInt.asIntN(64, this.readVarint()));
  }

  readBool(): boolean {
    return this.readVarint() !== 0n;
  }

  readFixed64Double(): number {
    return this.view(8).getFloat64(0, true);
  }

  readFixed32Float(): number {
    return this.view(4).getFloat32(0, true);
  }

  readBytes(): Uint8Array {
    const len = this.readVarint();
    if (len > BigInt(this.buf.length - this.pos)) {
      throw new ProtoWireError(`length ${len} exceeds the ${this.buf.length - this.pos} bytes left`);
    }
    return this.take(Number(len));
  }

  readString(): string {
    return Buffer.from(this.readBytes()).toString('utf8');
  }

  /** Skips the value of a field we have no table entry for. */
  skip(wireType: WireType, fieldNumber: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.readVarint();
        return;
      case WireType.Fixed64:
        this.take(8);
        return;
      case WireType.LengthDelimited:
        this.readBytes();
        return;
      case WireType.Fixed32:
        this.take(4);
        return;
      case WireType.StartGroup:
        this.skipGroup(fieldNumber);
        return;
      case WireType.EndGroup:
        throw new ProtoWireError(`unexpected end-group for field ${fieldNumber}`);
    }
  }

  private skipGroup(fieldNumber: number): void {
    for (;;) {
      if (this.done) throw new ProtoWireError(`unterminated group for field ${fieldNumber}`);
      const tag = this.readTag();
      if (tag.wireType === WireType.EndGroup) {
        if (tag.fieldNumber !== fieldNumber)
          throw new ProtoWireError(`mismatched end-group ${tag.fieldNumber} for field ${fieldNumber}`);
        return;
      }
      this.skip(tag.wireType, tag.fieldNumber);
    }
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length)
      throw new ProtoWireError(`unexpected end of data: need ${n} bytes, ${this.buf.length - this.pos} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private view(n: number): DataView {
    const b = this.take(n);
    return new DataView(b.buffer, b.byteOffset, n);
  }
}
