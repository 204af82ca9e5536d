import { ProtoReader, WireType } from './proto-reader';
import { ProtoWriter } from './proto-writer';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe(ProtoWriter.name, () => {
  it('writes tags and multi-byte varints', () => {
    expect(hex(new ProtoWriter().tag(1, WireType.Varint).varint(300).finish())).toBe('08ac02');
    // field 16 needs a two-byte tag: (16 << 3) | 2 = 130
    expect(hex(new ProtoWriter().tag(16, WireType.LengthDelimited).finish())).toBe('8201');
    expect(hex(new ProtoWriter().varint(2 ** 53 - 1).finish())).toBe('ffffffffffffff0f');
  });

  it("writes negative numbers as ten-byte two's complement varints", () => {
    const minusOne = new ProtoWriter().varint(-1).finish();
    expect(hex(minusOne)).toBe('ffffffffffffffffff01');
    expect(new ProtoReader(minusOne).readInt32()).toBe(-1);
    expect(new ProtoReader(new ProtoWriter().varint(-(2n ** 40n)).finish()).readInt64()).toBe(-(2 ** 40));
  });

  it('writes doubles and floats little-endian', () => {
    const r = new ProtoReader(new ProtoWriter().double(1.5).float(0.25).finish());
    expect(r.readFixed64Double()).toBe(1.5);
    expect(r.readFixed32Float()).toBe(0.25);
  });

  it('writes length-prefixed UTF-8 strings and bytes', () => {
    expect(hex(new ProtoWriter().string('é').finish())).toBe('02c3a9');
    expect(hex(new ProtoWriter().bytes(Uint8Array.from([1, 2, 3])).finish())).toBe('03010203');
    expect(hex(new ProtoWriter().string('').finish())).toBe('00');
  });

  it('prefixes nested messages with their length, however deep and long', () => {
    const w = new ProtoWriter();
    w.begin(2).tag(1, WireType.LengthDelimited).string('x'.repeat(200));
    w.begin(3).close(); // an empty message is still written
    w.close();
    const out = w.finish();
    // 1 (tag) + 2 (length 200 = c8 01) + 200 (string) + 1 (tag of the empty message) + 1 (its zero length) = 205 = cd 01
    expect(hex(out.subarray(0, 6))).toBe('12cd010ac801');
    const r = new ProtoReader(out);
    expect(r.readTag()).toEqual({ fieldNumber: 2, wireType: WireType.LengthDelimited });
    const inner = new ProtoReader(r.readBytes());
    expect(r.done).toBe(true);
    expect(inner.readTag().fieldNumber).toBe(1);
    expect(inner.readString()).toBe('x'.repeat(200));
    expect(inner.readTag()).toEqual({ fieldNumber: 3, wireType: WireType.LengthDelimited });
    expect(inner.readBytes()).toHaveLength(0);
    expect(inner.done).toBe(true);
  });

  it('keeps content that spans many internal chunks intact', () => {
    const w = new ProtoWriter();
    const values = Array.from({ length: 20_000 }, (_, i) => `value-${i}`);
    w.begin(1);
    for (const v of values) w.begin(2).tag(1, WireType.LengthDelimited).string(v).close();
    w.close();
    const outer = new ProtoReader(w.finish());
    outer.readTag();
    const list = new ProtoReader(outer.readBytes());
    const read: string[] = [];
    while (!list.done) {
      list.readTag();
      const item = new ProtoReader(list.readBytes());
      item.readTag();
      read.push(item.readString());
    }
    expect(read).toEqual(values);
  });

  it('refuses unbalanced nesting and invalid field numbers', () => {
    expect(() => new ProtoWriter().close()).toThrow(/without begin/);
    expect(() => new ProtoWriter().begin(1).finish()).toThrow(/still open/);
    expect(() => new ProtoWriter().tag(0, WireType.Varint)).toThrow(/invalid field number 0/);
  });
});
