// SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 / SPDY/3.1 spec): an 8-byte header, then the
// payload. Control frames: bit 31 set, version 3, a 16-bit type; data frames: a 31-bit stream id.
// Header blocks stay compressed here: the session owns the zlib contexts.

export const SPDY_VERSION = 3;

export enum SpdyFrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes the session uses. */
export enum RstStatus {
  ProtocolError = 1,
  InvalidStream = 2,
  RefusedStream = 3,
  Cancel = 5,
  InternalError = 6,
}

export type SpdyFrame =
  | { kind: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      kind: 'synStream';
      streamId: number;
      associatedId: number;
      priority: number;
      fin: boolean;
      unidirectional: boolean;
      headerBlock: Buffer;
    }
  | { kind: 'synReply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'rstStream'; streamId: number; status: number }
  | { kind: 'ping'; id: number }
  | { kind: 'goAway'; lastStreamId: number; status: number }
  | { kind: 'windowUpdate'; streamId: number; delta: number }
  | { kind: 'settings'; entries: { id: number; flags: number; value: number }[] }
  | { kind: 'unknown'; type: number };

export class SpdyProtocolError extends Error {}

const HEADER_LEN = 8;
const MAX_PAYLOAD = 0xffffff;
const STREAM_ID_MASK = 0x7fffffff;

/** Cuts a byte stream (a socket, or WebSocket messages in a row) into frames. */
export class SpdyFrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: SpdyFrame[] = [];
    while (this.buffered.length >= HEADER_LEN) {
      const length = this.buffered.readUIntBE(5, 3);
      if (this.buffered.length < HEADER_LEN + length) break;
      frames.push(decodeFrame(this.buffered.subarray(0, HEADER_LEN + length)));
      this.buffered = this.buffered.subarray(HEADER_LEN + length);
    }
    return frames;
  }
}

/** One complete frame (header and payload). */
export function decodeFrame(buf: Buffer): SpdyFrame {
  const flags = buf[4];
  const payload = buf.subarray(HEADER_LEN);
  const fin = (flags & FLAG_FIN) !== 0;
  if ((buf[0] & 0x80) === 0)
    return { kind: 'data', streamId: buf.readUInt32BE(0) & STREAM_ID_MASK, fin, data: payload };
  const version = buf.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = buf.readUInt16BE(2);
  const need = (n: number): void => {
    if (payload.length < n) throw new SpdyProtocolError(`frame type ${type} too short (${payload.length} bytes)`);
  };
  switch (type) {
    case SpdyFrameType.SynStream:
      need(10);
      return {
        kind: 'synStream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload[8] >> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      };
    case SpdyFrameType.SynReply:
    case SpdyFrameType.Headers:
      need(4);
      return {
        kind: type === SpdyFrameType.SynReply ? 'synReply' : 'headers',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        fin,
        headerBlock: payload.subarray(4),
      };
    case SpdyFrameType.RstStream:
      need(8);
      return { kind: 'rstStream', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case SpdyFrameType.Ping:
      need(4);
      return { kind: 'ping', id: payload.readUInt32BE(0) };
    case SpdyFrameType.GoAway:
      need(8);
      return {
        kind: 'goAway',
        lastStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.readUInt32BE(4),
      };
    case SpdyFrameType.WindowUpdate:
      need(8);
      return {
        kind: 'windowUpdate',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
      };
    case SpdyFrameType.Settings: {
      need(4);
      const count = payload.readUInt32BE(0);
      need(4 + count * 8);
      const entries = Array.from({ length: count }, (_, i) => ({
        flags: payload[4 + i * 8],
        id: payload.readUIntBE(5 + i * 8, 3),
        value: payload.readUInt32BE(8 + i * 8),
      }));
      return { kind: 'settings', entries };
    }
    default:
      return { kind: 'unknown', type };
  }
}

function controlFrame(type: SpdyFrameType, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new SpdyProtocolError(`control frame of ${payload.length} bytes is too long`);
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_PAYLOAD) throw new SpdyProtocolError(`data frame of ${data.length} bytes is too long`);
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  head[4] = fin ? FLAG_FIN : 0;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

export function encodeSynStream(streamId: number, headerBlock: Buffer, fin: boolean): Buffer {
  // Associated stream 0, priority 0, slot 0.
  return controlFrame(
    SpdyFrameType.SynStream,
    fin ? FLAG_FIN : 0,
    Buffer.concat([u32s(streamId, 0), Buffer.alloc(2), headerBlock]),
  );
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, fin: boolean): Buffer {
  return controlFrame(SpdyFrameType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([u32s(streamId), headerBlock]));
}

export function encodeRstStream(streamId: number, status: RstStatus): Buffer {
  return controlFrame(SpdyFrameType.RstStream, 0, u32s(streamId, status));
}

export function encodePing(id: number): Buffer {
  return controlFrame(SpdyFrameType.Ping, 0, u32s(id));
}

export function encodeGoAway(lastStreamId: number, status = 0): Buffer {
  return controlFrame(SpdyFrameType.GoAway, 0, u32s(lastStreamId, status));
}

/** An uncompressed name/value block: a 32-bit count, then 32-bit-length-prefixed names and values. */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32s(entries.length)];
  for (const [name, value] of entries) {
    // SPDY requires lower-case names; several values of a name are joined by NUL.
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(u32s(n.length), n, u32s(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 0;
  const read = (): string => {
    if (at + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const len = block.readUInt32BE(at);
    if (at + 4 + len > block.length) throw new SpdyProtocolError('truncated header block');
    const s = block.toString('utf8', at + 4, at + 4 + len);
    at += 4 + len;
    return s;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated header block');
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    headers.set(name, read());
  }
  return headers;
}
