import { ProtoReader, ProtoWireError, WireType } from './proto-reader';

const reader = (...bytes: number[]): ProtoReader => new ProtoReader(Uint8Array.from(bytes));

describe(ProtoReader.name, () => {
  it('reads multi-byte varints and tags', () => {
    const r = reader(0x08, 0xac, 0x02);
    expect(r.readTag()).toEqual({ fieldNumber: 1, wireType: WireType.Varint });
    expect(r.readInt32()).toBe(300);
    expect(r.done).toBe(true);
  });

  it('reads negative int32 and int64 sign-extended to ten bytes', () => {
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    expect(reader(...minusOne).readInt32()).toBe(-1);
    expect(reader(...minusOne).readInt64()).toBe(-1);
  });

  it('reads fixed64 doubles and fixed32 floats little-endian', () => {
    const d = Buffer.alloc(8);
    d.writeDoubleLE(1.5);
    expect(new ProtoReader(d).readFixed64Double()).toBe(1.5);
    const f = Buffer.alloc(4);
    f.writeFloatLE(0.25);
    expect(new ProtoReader(f).readFixed32Float()).toBe(0.25);
  });

  it('skips every wire type, including groups', () => {
    // field 1 varint, 2 fixed64, 3 bytes, 4 group{5 varint}, 6 fixed32, then field 7 = 9
    const r = reader(
      0x08,
      0x96,
      0x01,
      0x11,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0x1a,
      2,
      0x61,
      0x62,
      0x23,
      0x28,
      0x01,
      0x24,
      0x35,
      1,
      2,
      3,
      4,
      0x38,
      9,
    );
    for (let i = 0; i < 5; i++) {
      const t = r.readTag();
      r.skip(t.wireType, t.fieldNumber);
    }
    expect(r.readTag().fieldNumber).toBe(7);
    expect(r.readInt32()).toBe(9);
  });

  it('rejects truncated data', () => {
    expect(() => reader(0x80).readVarint()).toThrow(ProtoWireError);
    expect(() => reader(0x05, 0x61).readBytes()).toThrow(/exceeds/);
    expect(() => reader(1, 2, 3).readFixed64Double()).toThrow(/unexpected end of data/);
  });

  it('rejects field number 0 and invalid wire types', () => {
    expect(() => reader(0x00).readTag()).toThrow(/field number 0/);
    expect(() => reader(0x0e).readTag()).toThrow(/wire type 6/);
  });

  it('rejects an over-long varint', () => {
    expect(() => reader(...Array<number>(11).fill(0xff)).readVarint()).toThrow(/longer than 10 bytes/);
  });
});
