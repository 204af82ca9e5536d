import { FSWatcher, promises as fs, watch } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CriStream, scanCriEntry } from '../runtime/cri-log-entry';

export type { CriStream } from '../runtime/cri-log-entry';

/** Safety net under the file watch (inotify can miss an event); the watch is what keeps typing snappy. */
const POLL_MS = 250;
const NEWLINE = 0x0a;

/**
 * What a container writes from now on, recovered byte for byte from the CRI log conmon keeps: each
 * entry's content, plus the newline that a full (`F`) entry stands for, and the stream it came on. This
 * is attach's output: conmon also copies output to its attach socket, but that socket is SOCK_SEQPACKET,
 * which Node cannot open, and the log holds the same bytes at the same moment.
 */
export class CriLogFollower {
  private fh?: FileHandle;
  private inode = 0;
  private offset = 0;
  private carry = Buffer.alloc(0);
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly onData: (stream: CriStream, data: Buffer) => void,
  ) {}

  /** Starts at the log's current end. */
  async start(): Promise<void> {
    await this.open(true);
    const kick = (): void => void this.poll();
    try {
      this.watcher = watch(this.path, kick);
      this.watcher.on('error', () => undefined);
    } catch {
      // The poll alone then.
    }
    this.timer = setInterval(kick, POLL_MS);
  }

  /** Reads whatever was appended since the last read (serialised: a read never overlaps another). */
  poll(): Promise<void> {
    this.reading = this.reading.then(() => this.readNew()).catch(() => undefined);
    return this.reading;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.timer);
    await this.reading;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  private async open(atEnd: boolean): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = await fs.open(this.path, 'r');
    const st = await this.fh.stat();
    this.inode = st.ino;
    this.offset = atEnd ? st.size : 0;
    this.carry = Buffer.alloc(0);
  }

  private async readNew(): Promise<void> {
    if (this.stopped || !this.fh) return;
    await this.drain();
    // conmon rotates a full log by renaming a fresh file over it: finish the old one, then follow the new one.
    const named = await fs.stat(this.path).catch(() => undefined);
    if (named && named.ino !== this.inode) {
      await this.open(false);
      await this.drain();
    }
  }

  private async drain(): Promise<void> {
    const fh = this.fh!;
    const { size } = await fh.stat();
    if (size < this.offset) this.offset = 0;
    while (!this.stopped && size > this.offset) {
      const buf = Buffer.alloc(Math.min(size - this.offset, 1 << 20));
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      this.consume(buf.subarray(0, bytesRead));
    }
  }

  private consume(chunk: Buffer): void {
    let data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE)) {
      const entry = parseEntry(data.subarray(0, nl));
      if (entry) this.onData(entry.stream, entry.data);
      data = data.subarray(nl + 1);
    }
    this.carry = Buffer.from(data);
  }
}

/** `<time> <stream> <P|F> <content>` → the bytes the container wrote. */
export function parseEntry(line: Buffer): { stream: CriStream; data: Buffer } | undefined {
  const entry = scanCriEntry(line, 0, line.length);
  if (!entry) return undefined;
  const content = line.subarray(entry.contentStart);
  return {
    stream: entry.stream,
    data: entry.partial ? Buffer.from(content) : Buffer.concat([content, Buffer.from([NEWLINE])]),
  };
}
