import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BatchMeta, SealedBatch } from './log-batcher';

export interface SpoolEntry {
  seq: number;
  meta: BatchMeta;
  bytes: number;
}

const SUFFIX = '.batch';
const NEWLINE = 0x0a;

/**
 * Batches JetStream has not taken yet, on disk, oldest first, bounded in bytes: appending past the bound drops the
 * oldest (reported to the caller). One file per batch, `<seq>.batch`: its meta as a JSON line, then its payload.
 */
export class LogSpool {
  private readonly entries: SpoolEntry[] = [];
  private total = 0;
  private nextSeq = 1;
  /** The entry being published: the last to be dropped. */
  private pinned?: number;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** Takes up what an earlier run left; resolves the metas, oldest first. */
  async load(): Promise<BatchMeta[]> {
    await fs.mkdir(this.dir, { recursive: true });
    const names = (await fs.readdir(this.dir)).sort();
    for (const name of names) {
      const file = path.join(this.dir, name);
      const seq = name.endsWith(SUFFIX) ? Number(name.slice(0, -SUFFIX.length)) : NaN;
      const entry = Number.isSafeInteger(seq) ? await readMeta(file, seq) : undefined;
      // Half-written files (`.tmp`) and anything unreadable go.
      if (!entry) {
        await fs.rm(file, { force: true });
        continue;
      }
      this.entries.push(entry);
      this.total += entry.bytes;
      this.nextSeq = seq + 1;
    }
    return this.entries.map((e) => e.meta);
  }

  get length(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.total;
  }

  oldest(): SpoolEntry | undefined {
    return this.entries[0];
  }

  pin(entry: SpoolEntry | undefined): void {
    this.pinned = entry?.seq;
  }

  async payload(entry: SpoolEntry): Promise<Buffer> {
    const data = await fs.readFile(this.file(entry.seq));
    return data.subarray(data.indexOf(NEWLINE) + 1);
  }

  /** Writes the batch at the end; resolves the metas of the batches dropped to make room (this one, if it is too big). */
  async append(batch: SealedBatch): Promise<BatchMeta[]> {
    const head = Buffer.from(`${JSON.stringify(batch.meta)}\n`);
    const bytes = head.length + batch.payload.length;
    if (bytes > this.maxBytes) return [batch.meta];
    const dropped: BatchMeta[] = [];
    while (this.total + bytes > this.maxBytes) {
      const i = this.entries[0]?.seq === this.pinned && this.entries.length > 1 ? 1 : 0;
      const [old] = this.entries.splice(i, 1);
      this.total -= old.bytes;
      await fs.rm(this.file(old.seq), { force: true });
      dropped.push(old.meta);
    }
    const seq = this.nextSeq++;
    const file = this.file(seq);
    await fs.mkdir(this.dir, { recursive: true });
    const fh = await fs.open(`${file}.tmp`, 'w');
    try {
      await fh.writev([head, batch.payload]);
    } finally {
      await fh.close();
    }
    await fs.rename(`${file}.tmp`, file);
    this.entries.push({ seq, meta: batch.meta, bytes });
    this.total += bytes;
    return dropped;
  }

  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.entries.findIndex((e) => e.seq === entry.seq);
    if (i >= 0) {
      this.entries.splice(i, 1);
      this.total -= entry.bytes;
    }
    if (this.pinned === entry.seq) this.pinned = undefined;
    await fs.rm(this.file(entry.seq), { force: true });
  }

  private file(seq: number): string {
    return path.join(this.dir, `${String(seq).padStart(16, '0')}${SUFFIX}`);
  }
}

async function readMeta(file: string, seq: number): Promise<SpoolEntry | undefined> {
  try {
    const fh = await fs.open(file, 'r');
    try {
      const { size } = await fh.stat();
      const buf = Buffer.alloc(Math.min(size, 1 << 20));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
      if (nl < 0) return undefined;
      return { seq, meta: JSON.parse(buf.toString('utf8', 0, nl)) as BatchMeta, bytes: size };
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
