/**
 * Splits a DNS-over-TCP byte stream into messages (RFC 1035 4.2.2: each message is preceded by
 * its length as two bytes). Holds at most one partial message, so a peer cannot make it buffer
 * more than 64 KiB.
 */
export class TcpMessageFramer {
  private buffered: Buffer = Buffer.alloc(0);

  /** The complete messages `chunk` finishes; a zero length is an error (`undefined`: close the connection). */
  push(chunk: Buffer): Buffer[] | undefined {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: Buffer[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= 2) {
      const length = this.buffered.readUInt16BE(offset);
      if (length === 0) return undefined;
      if (this.buffered.length - offset - 2 < length) break;
      out.push(this.buffered.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    // Copy the tail so the messages handed out do not pin a large chunk.
    this.buffered = offset === this.buffered.length ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(offset));
    return out;
  }
}

/** A message with its two-byte length in front. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}
