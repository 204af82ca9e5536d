import { SPDY3_DICTIONARY } from './spdy-dictionary';
import {
  decodeFrame,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  RstStatus,
  SpdyFrameReader,
  SpdyProtocolError,
} from './spdy-frame.codec';
import { SpdyHeaderCompressor, SpdyHeaderDecompressor } from './spdy-header.zlib';

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe(SpdyFrameReader.name, () => {
  it('cuts a byte stream into frames whatever the chunking', () => {
    const bytes = Buffer.concat([
      encodeData(1, Buffer.from('hello'), false),
      encodePing(7),
      encodeData(3, Buffer.alloc(0), true),
    ]);
    const reader = new SpdyFrameReader();
    const frames = [...bytes].flatMap((b) => reader.push(Buffer.from([b])));
    expect(frames).toEqual([
      { kind: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
      { kind: 'ping', id: 7 },
      { kind: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    ]);
  });

  it('decodes the control frames it encodes', () => {
    expect(decodeFrame(encodeSynStream(5, Buffer.from('hb'), true))).toEqual({
      kind: 'synStream',
      streamId: 5,
      associatedId: 0,
      priority: 0,
      fin: true,
      unidirectional: false,
      headerBlock: Buffer.from('hb'),
    });
    expect(decodeFrame(encodeSynReply(5, Buffer.from('hb'), false))).toEqual({
      kind: 'synReply',
      streamId: 5,
      fin: false,
      headerBlock: Buffer.from('hb'),
    });
    expect(decodeFrame(encodeRstStream(9, RstStatus.Cancel))).toEqual({ kind: 'rstStream', streamId: 9, status: 5 });
    expect(decodeFrame(encodeGoAway(11))).toEqual({ kind: 'goAway', lastStreamId: 11, status: 0 });
  });

  it('lays out frames as SPDY/3.1 says', () => {
    // Control bit + version 3, type 6 (PING), no flags, length 4, id.
    expect(encodePing(1).toString('hex')).toBe('800300060000000400000001');
    // Stream id 3, FIN, length 2.
    expect(encodeData(3, Buffer.from('hi'), true).toString('hex')).toBe('00000003010000026869');
  });

  it('rejects another SPDY version', () => {
    const frame = encodePing(1);
    frame.writeUInt16BE(0x8002, 0);
    expect(() => decodeFrame(frame)).toThrow(SpdyProtocolError);
  });
});

describe('SPDY/3 header blocks', () => {
  it('round-trips names (lower-cased) and values', () => {
    const block = encodeHeaderBlock({ streamType: 'data', port: '8080', requestID: '0' });
    expect([...decodeHeaderBlock(block)]).toEqual([
      ['streamtype', 'data'],
      ['port', '8080'],
      ['requestid', '0'],
    ]);
  });

  it('uses the SPDY/3 dictionary (1423 bytes, the id peers check)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    // The DICTID in the zlib header of every SPDY/3 header stream (spdystream, Chromium).
    expect(adler32(SPDY3_DICTIONARY).toString(16)).toBe('e3c6a7c2');
  });

  it('keeps one zlib context per direction across blocks', async () => {
    const compressor = new SpdyHeaderCompressor();
    const decompressor = new SpdyHeaderDecompressor();
    for (const port of ['8080', '8081', '9090']) {
      const block = encodeHeaderBlock({ streamtype: 'error', port });
      const compressed = await compressor.compress(block);
      expect(await decompressor.decompress(compressed)).toEqual(block);
    }
    compressor.close();
    decompressor.close();
  });
});
