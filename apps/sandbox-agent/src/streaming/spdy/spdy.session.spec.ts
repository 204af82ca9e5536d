import {
  decodeHeaderBlock,
  encodeData,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynStream,
  RstStatus,
  SpdyFrame,
  SpdyFrameReader,
} from './spdy-frame.codec';
import { SpdyHeaderCompressor, SpdyHeaderDecompressor } from './spdy-header.zlib';
import { SpdySession, SpdyStream, SpdyTransport } from './spdy.session';

/** The client end of a session: compresses its SYN_STREAMs, decodes what the server writes. */
class FakeClient implements SpdyTransport {
  readonly frames: SpdyFrame[] = [];
  closed = false;
  private readonly reader = new SpdyFrameReader();
  private readonly deflate = new SpdyHeaderCompressor();
  readonly inflate = new SpdyHeaderDecompressor();

  async write(chunk: Buffer): Promise<void> {
    this.frames.push(...this.reader.push(chunk));
  }

  close(): void {
    this.closed = true;
  }

  async synStream(id: number, headers: Record<string, string>, fin = false): Promise<Buffer> {
    return encodeSynStream(id, await this.deflate.compress(encodeHeaderBlock(headers)), fin);
  }

  dispose(): void {
    this.deflate.close();
    this.inflate.close();
  }
}

// Header blocks go through zlib's thread pool: wait until the frames a step should produce have arrived.
const settle = async (done: () => boolean): Promise<void> => {
  for (let waited = 0; !done() && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
};

describe(SpdySession.name, () => {
  let client: FakeClient;
  let accepted: SpdyStream[];
  let session: SpdySession;

  beforeEach(() => {
    client = new FakeClient();
    accepted = [];
    session = new SpdySession(client, (s) => {
      if (s.headers.get('streamtype') === 'bogus') return false;
      accepted.push(s);
      return true;
    });
  });

  afterEach(() => {
    session.close();
    client.dispose();
  });

  it('accepts a stream with a compressed SYN_REPLY and carries data both ways', async () => {
    session.receive(await client.synStream(1, { streamType: 'data', port: '8080', requestID: '0' }));
    await settle(() => accepted.length === 1 && client.frames.length === 1);
    expect(accepted).toHaveLength(1);
    expect(accepted[0].headers.get('port')).toBe('8080');
    const reply = client.frames[0];
    expect(reply).toMatchObject({ kind: 'synReply', streamId: 1, fin: false });
    if (reply.kind !== 'synReply') throw new Error('no reply');
    expect(decodeHeaderBlock(await client.inflate.decompress(reply.headerBlock)).size).toBe(0);

    const received: Buffer[] = [];
    accepted[0].on('data', (c: Buffer) => received.push(c));
    session.receive(encodeData(1, Buffer.from('ping'), true));
    accepted[0].end(Buffer.from('pong'));
    await settle(() => received.length > 0 && client.frames.length === 3);
    expect(Buffer.concat(received).toString()).toBe('ping');
    expect(client.frames.slice(1)).toEqual([
      { kind: 'data', streamId: 1, fin: false, data: Buffer.from('pong') },
      { kind: 'data', streamId: 1, fin: true, data: Buffer.alloc(0) },
    ]);
    expect(session.openStreams).toBe(0);
  });

  it('refuses a stream the handler rejects with a SYN_REPLY carrying FIN', async () => {
    session.receive(await client.synStream(1, { streamtype: 'bogus' }));
    await settle(() => client.frames.length === 1);
    expect(client.frames).toMatchObject([{ kind: 'synReply', streamId: 1, fin: true }]);
    expect(session.openStreams).toBe(0);
  });

  it('answers pings and drops a stream the client resets', async () => {
    session.receive(Buffer.concat([await client.synStream(1, { streamtype: 'data', port: '1' }), encodePing(3)]));
    await settle(() => client.frames.length === 2);
    expect(client.frames[1]).toEqual({ kind: 'ping', id: 3 });
    const closed = new Promise<void>((r) => accepted[0].once('close', () => r()));
    session.receive(encodeRstStream(1, RstStatus.Cancel));
    await closed;
    expect(session.openStreams).toBe(0);
    // A reset stream is not reset back.
    expect(client.frames.filter((f) => f.kind === 'rstStream')).toEqual([]);
  });

  it('splits large writes into several DATA frames', async () => {
    session.receive(await client.synStream(1, { streamtype: 'data', port: '1' }));
    await settle(() => accepted.length === 1);
    accepted[0].write(Buffer.alloc(100_000, 7));
    const dataBytes = (): number => client.frames.reduce((n, f) => n + (f.kind === 'data' ? f.data.length : 0), 0);
    await settle(() => dataBytes() >= 100_000);
    const data = client.frames.filter((f) => f.kind === 'data');
    expect(data.length).toBeGreaterThan(1);
    expect(data.reduce((n, f) => n + (f.kind === 'data' ? f.data.length : 0), 0)).toBe(100_000);
  });

  it('resets DATA on a stream that was never opened and ends with GOAWAY on a protocol error', async () => {
    session.receive(encodeData(5, Buffer.from('x'), false));
    await settle(() => client.frames.length === 1);
    expect(client.frames).toEqual([{ kind: 'rstStream', streamId: 5, status: RstStatus.InvalidStream }]);
    // Even stream ids belong to the server.
    session.receive(await client.synStream(2, { streamtype: 'data', port: '1' }));
    await settle(() => client.frames.length === 2);
    expect(client.frames.at(-1)).toEqual({ kind: 'rstStream', streamId: 2, status: RstStatus.ProtocolError });
    const badVersion = encodePing(1);
    badVersion.writeUInt16BE(0x8002, 0);
    session.receive(badVersion);
    await settle(() => client.closed);
    expect(client.frames.at(-1)).toMatchObject({ kind: 'goAway' });
    expect(client.closed).toBe(true);
  });
});
