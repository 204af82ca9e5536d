import { constants, createDeflate, createInflate, Deflate, Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary';

/**
 * One direction's header compression context. SPDY keeps a single zlib stream per direction for
 * the whole connection, each header block ending in a sync flush, so blocks must be processed in
 * order: calls are queued.
 */
abstract class ZlibHeaderContext {
  private queue: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  private failure: Error | undefined;

  protected constructor(private readonly zlib: Deflate | Inflate) {
    zlib.on('data', (chunk: Buffer) => this.output.push(chunk));
    zlib.on('error', (err: Error) => (this.failure = err));
  }

  protected process(input: Buffer): Promise<Buffer> {
    const run = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        this.zlib.write(input);
        this.zlib.flush(constants.Z_SYNC_FLUSH, () => {
          // 'data' is emitted before the flush callback runs; a failed context stays failed.
          if (this.failure) return reject(this.failure);
          const out = Buffer.concat(this.output);
          this.output = [];
          resolve(out);
        });
      });
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.zlib.destroy();
  }
}

export class SpdyHeaderCompressor extends ZlibHeaderContext {
  constructor() {
    super(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  }

  compress(block: Buffer): Promise<Buffer> {
    return this.process(block);
  }
}

export class SpdyHeaderDecompressor extends ZlibHeaderContext {
  constructor() {
    super(createInflate({ dictionary: SPDY3_DICTIONARY }));
  }

  decompress(block: Buffer): Promise<Buffer> {
    return this.process(block);
  }
}
