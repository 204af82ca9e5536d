import { LineAssembler, decodeLogText, pieceEnd, splitLine } from './log-line';

type Piece = [string, number | undefined, boolean];

function collect(run: (sink: (t: string, p: number | undefined, l: boolean) => void) => void): Piece[] {
  const out: Piece[] = [];
  run((t, p, l) => out.push([t, p, l]));
  return out;
}

describe('log lines', () => {
  it('keeps valid UTF-8 as it is and escapes each byte of an invalid sequence as \\xNN', () => {
    const valid = Buffer.from('héllo wörld ✓ 😀');
    expect(decodeLogText(valid, 0, valid.length)).toBe('héllo wörld ✓ 😀');
    const bad = Buffer.concat([
      Buffer.from('a'),
      Buffer.from([0xff]),
      Buffer.from('b'),
      Buffer.from([0xc3]), // a lead byte without its continuation
      Buffer.from('c'),
      Buffer.from([0xed, 0xa0, 0x80]), // a surrogate, not UTF-8
      Buffer.from([0xe2, 0x9c, 0x93]), // ✓
      Buffer.from([0xc0, 0xaf]), // overlong
    ]);
    expect(decodeLogText(bad, 0, bad.length)).toBe('a\\xffb\\xc3c\\xed\\xa0\\x80✓\\xc0\\xaf');
  });

  it('escapes a sequence cut off by the end of the text', () => {
    const cut = Buffer.from('ok ✓').subarray(0, 5);
    expect(decodeLogText(cut, 0, cut.length)).toBe('ok \\xe2\\x9c');
  });

  it('passes a line within the limit whole, without a piece', () => {
    const line = Buffer.from('x'.repeat(16));
    expect(collect((s) => splitLine(line, 0, line.length, s, 0, 16))).toEqual([['x'.repeat(16), undefined, true]]);
  });

  it('cuts a longer line into marked pieces of at most the limit, never inside a character', () => {
    const line = Buffer.from(`${'a'.repeat(7)}✓✓b`); // 7 + 3 + 3 + 1 bytes
    const pieces = collect((s) => splitLine(line, 0, line.length, s, 0, 8));
    expect(pieces).toEqual([
      ['a'.repeat(7), 0, false],
      ['✓✓b', 1, true],
    ]);
    for (const [text] of pieces) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(8);
  });

  it('counts escapes in the limit', () => {
    const line = Buffer.from([0x61, 0xff, 0xfe, 0x62]); // a \xff \xfe b: 10 bytes of text
    expect(pieceEnd(line, 0, line.length, 8)).toBe(2);
    expect(collect((s) => splitLine(line, 0, line.length, s, 0, 8))).toEqual([
      ['a\\xff', 0, false],
      ['\\xfeb', 1, true],
    ]);
  });

  it('joins a line given in parts, keeping the time and start of its first part', () => {
    const asm = new LineAssembler(16);
    const out: Piece[] = [];
    const sink = (t: string, p: number | undefined, l: boolean) => out.push([t, p, l]);
    asm.add(100, 't1', Buffer.from('hel'), 0, 3, sink);
    asm.add(120, 't2', Buffer.from('lo '), 0, 3, sink);
    expect(asm).toMatchObject({ start: 100, time: 't1', pending: true });
    asm.end(Buffer.from('world'), 0, 5, sink);
    expect(out).toEqual([['hello world', undefined, true]]);
    expect(asm.pending).toBe(false);
  });

  it('joins a character split between parts', () => {
    const check = Buffer.from('✓');
    const asm = new LineAssembler();
    const out: Piece[] = [];
    asm.add(0, '', check, 0, 1, (t, p, l) => out.push([t, p, l]));
    asm.end(check, 1, 3, (t, p, l) => out.push([t, p, l]));
    expect(out).toEqual([['✓', undefined, true]]);
  });

  it('sends the pieces of a long line as they fill up, holding less than the limit', () => {
    const asm = new LineAssembler(8);
    const out: Piece[] = [];
    const sink = (t: string, p: number | undefined, l: boolean) => out.push([t, p, l]);
    asm.add(0, '', Buffer.from('0123456789'), 0, 10, sink);
    expect(out).toEqual([['01234567', 0, false]]);
    asm.add(0, '', Buffer.from('abcdefgh'), 0, 8, sink);
    expect(out).toEqual([
      ['01234567', 0, false],
      ['89abcdef', 1, false],
    ]);
    asm.end(Buffer.from('!'), 0, 1, sink);
    expect(out[2]).toEqual(['gh!', 2, true]);
  });
});
