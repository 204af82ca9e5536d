import { Duplex } from 'node:stream';
import {
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  RstStatus,
  SpdyFrame,
  SpdyFrameReader,
  SpdyProtocolError,
} from './spdy-frame.codec';
import { SpdyHeaderCompressor, SpdyHeaderDecompressor } from './spdy-header.zlib';

/** Where the session's bytes go: a raw socket, or WebSocket binary messages (kubectl's tunneling). */
export interface SpdyTransport {
  /** Resolves once the bytes are handed to the socket, which gives the streams backpressure. */
  write(chunk: Buffer): Promise<void>;
  close(): void;
}

/** Decides on a stream the peer opened: true accepts it (SYN_REPLY), false refuses it (SYN_REPLY with FIN, as spdystream does). */
export type SpdyStreamHandler = (stream: SpdyStream) => boolean;

// Go's spdystream writes at most this much per DATA frame; staying below keeps frames small.
const MAX_DATA_CHUNK = 32 * 1024;

/** One SPDY stream as a Node duplex: reads what the peer sends, writes DATA frames, end() sends FIN. */
export class SpdyStream extends Duplex {
  private localClosed = false;
  private remoteClosed = false;
  private wasReset = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: ReadonlyMap<string, string>,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    // Data is pushed as frames arrive; SPDY/3.1 flow control is not used by spdystream peers.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.localClosed = true;
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => {
      this.settleIfDone();
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Dropping a stream midway tells the peer, unless the peer reset it or both sides finished.
    if (!this.wasReset && !(this.localClosed && this.remoteClosed)) void this.session.reset(this.id, RstStatus.Cancel);
    this.session.forget(this.id);
    cb(err);
  }

  /** @internal frames from the session */
  remoteData(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
      this.settleIfDone();
    }
  }

  /** @internal */
  remoteReset(): void {
    this.wasReset = true;
    this.destroy();
  }

  private settleIfDone(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this.id);
  }
}

/** The server side of a SPDY/3.1 connection: accepts streams the client opens, answers pings. */
export class SpdySession {
  private readonly reader = new SpdyFrameReader();
  private readonly inflater = new SpdyHeaderDecompressor();
  private readonly deflater = new SpdyHeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private incoming: Promise<void> = Promise.resolve();
  private outgoing: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;

  constructor(
    private readonly transport: SpdyTransport,
    private readonly onStream: SpdyStreamHandler,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** Bytes from the peer, in order; frames are handled one after another (header blocks inflate asynchronously). */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      return this.fail(err as Error);
    }
    for (const frame of frames) {
      this.incoming = this.incoming.then(() => this.handle(frame)).catch((err: Error) => this.fail(err));
    }
  }

  /** The transport went away: streams end without sending anything more. */
  transportClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropStreams();
  }

  /** Says GOAWAY and closes the transport once everything queued is written. */
  close(): void {
    if (this.closed) return;
    void this.send(encodeGoAway(this.lastStreamId)).finally(() => this.transport.close());
    this.closed = true;
    this.dropStreams();
  }

  get openStreams(): number {
    return this.streams.size;
  }

  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    if (data.length <= MAX_DATA_CHUNK) return this.send(encodeData(streamId, data, fin));
    let last = Promise.resolve();
    for (let at = 0; at < data.length; at += MAX_DATA_CHUNK) {
      const end = Math.min(at + MAX_DATA_CHUNK, data.length);
      last = this.send(encodeData(streamId, data.subarray(at, end), fin && end === data.length));
    }
    return last;
  }

  reset(streamId: number, status: RstStatus): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.send(encodeRstStream(streamId, status));
  }

  /** @internal a stream is done in both directions or was dropped */
  forget(streamId: number): void {
    this.streams.delete(streamId);
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    switch (frame.kind) {
      case 'synStream': {
        const headers = decodeHeaderBlock(await this.inflater.decompress(frame.headerBlock));
        // Client streams have odd, increasing ids (SPDY/3.1 2.3.2).
        if (frame.streamId % 2 === 0 || frame.streamId <= this.lastStreamId) {
          await this.reset(frame.streamId, RstStatus.ProtocolError);
          return;
        }
        this.lastStreamId = frame.streamId;
        const stream = new SpdyStream(this, frame.streamId, headers);
        this.streams.set(frame.streamId, stream);
        const accepted = this.onStream(stream);
        await this.send(async () =>
          encodeSynReply(frame.streamId, await this.deflater.compress(encodeHeaderBlock({})), !accepted),
        );
        if (!accepted) {
          this.streams.delete(frame.streamId);
          return;
        }
        if (frame.fin) stream.remoteData(Buffer.alloc(0), true);
        return;
      }
      case 'synReply':
      case 'headers':
        // Not expected from a client, but the inflate context must still see every block.
        await this.inflater.decompress(frame.headerBlock);
        return;
      case 'data': {
        const stream = this.streams.get(frame.streamId);
        if (stream) stream.remoteData(frame.data, frame.fin);
        else if (frame.streamId > this.lastStreamId) await this.reset(frame.streamId, RstStatus.InvalidStream);
        return;
      }
      case 'rstStream':
        this.streams.get(frame.streamId)?.remoteReset();
        return;
      case 'ping':
        // Echo the client's pings (odd ids); we send none of our own.
        await this.send(encodePing(frame.id));
        return;
      case 'goAway':
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types: spdystream does no flow control, nor do we.
        return;
    }
  }

  private send(frame: Buffer | (() => Promise<Buffer>)): Promise<void> {
    const step = async (): Promise<void> => {
      const bytes = typeof frame === 'function' ? await frame() : frame;
      await this.transport.write(bytes);
    };
    const result = this.outgoing.then(step);
    this.outgoing = result.catch(() => undefined);
    return result;
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.onError(err instanceof SpdyProtocolError ? err : new SpdyProtocolError(err.message));
    this.close();
  }

  private dropStreams(): void {
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    void this.outgoing.finally(() => {
      this.inflater.close();
      this.deflater.close();
    });
  }
}
