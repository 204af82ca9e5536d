import { LogRecord, logRecordId } from '@skiff/messaging';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { CriStream, rfc3339OfCriTime, scanCriEntry } from '../runtime/cri-log-entry';
import { LogTarget } from './log-config';
import { LineAssembler, LineSink, splitLine } from './log-line';
import { LogSource, LogSourceContext } from './log-source';
import { TrackedFile } from './pod-log-state';

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
// How often a file at its end is checked for a rotation or a restarted container's next file.
const CHECK_MS = 500;

interface OpenLog {
  file: TrackedFile;
  fh: FileHandle;
  path: string;
  restart: number;
  /** Entries before this were read (reading resumes at an entry's start). */
  offset: number;
}

/**
 * A container's stdout and stderr from the CRI log files conmon writes, `<dir>/<restartCount>.log`, one instance
 * after the other. Partial entries are joined per stream; conmon's rotation (a fresh file renamed over the full one)
 * is followed: the old file is read to its end first.
 */
export class CriLogSource implements LogSource {
  readonly key: string;
  private current?: OpenLog;
  /** The instance whose file is opened next. */
  private restart = -1;
  private checkedAt = 0;
  private readonly lines: Record<CriStream, LineAssembler> = {
    stdout: new LineAssembler(),
    stderr: new LineAssembler(),
  };
  // The line being emitted: which stream, where it starts, its time, and where reading resumes once it is delivered.
  private stream: CriStream = 'stdout';
  private lineStart = 0;
  private time = '';
  private next = 0;

  constructor(
    private readonly ctx: LogSourceContext,
    private readonly container: string,
    private readonly dir: string,
    private readonly targets: LogTarget[],
  ) {
    this.key = `cri:${container}`;
  }

  async read(final: boolean): Promise<boolean> {
    if (!this.current) return this.openFirst();
    if (await this.readChunk()) return true;
    const now = this.ctx.clock.nowMs();
    if (!final && now - this.checkedAt < CHECK_MS) return false;
    this.checkedAt = now;
    if ((await this.rotated()) || (await this.nextInstance())) return true;
    if (final) this.endLines();
    return false;
  }

  watchDir(): string {
    return this.dir;
  }

  async close(): Promise<void> {
    await this.current?.fh.close().catch(() => undefined);
    this.current = undefined;
  }

  // After a restart, the oldest saved file of this source says which instance to resume at.
  private async openFirst(): Promise<boolean> {
    const numbers = await instanceNumbers(this.dir);
    if (this.restart < 0) this.restart = this.ctx.state.savedOf(this.key)[0]?.restart ?? numbers[0] ?? -1;
    const n = numbers.find((x) => x >= this.restart);
    return n === undefined ? false : this.open(n);
  }

  private async open(restart: number): Promise<boolean> {
    const file = path.join(this.dir, `${restart}.log`);
    const fh = await fs.open(file, 'r').catch(() => undefined);
    if (!fh) return false;
    const { ino, size } = await fh.stat();
    const state = this.ctx.state;
    const saved = state.claimSaved(this.key, (s) => s.restart === restart && s.inode === ino && s.offset <= size);
    // Saved files of earlier instances, or of this one before a rotation, are gone or passed by.
    state.dropSaved(this.key, (s) => (s.restart ?? 0) <= restart);
    const { file: tracked, offset } = state.open(this.key, ino, { restart }, saved);
    this.current = { file: tracked, fh, path: file, restart, offset };
    this.restart = restart;
    return true;
  }

  private async readChunk(): Promise<boolean> {
    const cur = this.current!;
    const { size } = await cur.fh.stat();
    if (size < cur.offset) {
      // conmon never truncates; whatever did, the file starts over as a new one.
      await this.switchTo(cur.restart, false);
      return true;
    }
    if (size === cur.offset) return false;
    const buf = this.ctx.buffer;
    const { bytesRead } = await cur.fh.read(buf, 0, Math.min(size - cur.offset, buf.length), cur.offset);
    let pos = 0;
    while (pos < bytesRead) {
      const nl = buf.indexOf(NEWLINE, pos);
      if (nl < 0 || nl >= bytesRead) break;
      this.entry(buf, pos, nl, cur.offset + pos, cur.offset + nl + 1);
      pos = nl + 1;
    }
    // An entry longer than the buffer is not conmon's (it writes a few KiB at most): skipped.
    if (pos === 0 && bytesRead === buf.length) pos = bytesRead;
    cur.offset += pos;
    return pos > 0;
  }

  private entry(buf: Buffer, s: number, e: number, at: number, next: number): void {
    const entry = scanCriEntry(buf, s, e);
    if (!entry) return;
    const line = this.lines[entry.stream];
    this.stream = entry.stream;
    if (entry.partial) {
      const time = line.pending ? line.time : rfc3339OfCriTime(buf.toString('latin1', entry.timeStart, entry.timeEnd));
      this.lineStart = line.pending ? line.start : at;
      this.time = time;
      this.next = next;
      line.add(at, time, buf, entry.contentStart, e, this.emit);
    } else if (line.pending) {
      this.lineStart = line.start;
      this.time = line.time;
      this.next = next;
      line.end(buf, entry.contentStart, e, this.emit);
    } else {
      this.lineStart = at;
      this.time = rfc3339OfCriTime(buf.toString('latin1', entry.timeStart, entry.timeEnd));
      this.next = next;
      splitLine(buf, entry.contentStart, e, this.emit);
    }
  }

  private readonly emit: LineSink = (text, piece, last) => {
    const file = this.current!.file;
    const other = this.lines[this.stream === 'stdout' ? 'stderr' : 'stdout'];
    // Delivered up to here means: this line whole (or up to its start) and nothing the other stream still joins.
    const own = last ? this.next : this.lineStart;
    const resume = other.pending ? Math.min(own, other.start) : own;
    const { uid, namespace, name } = this.ctx.state.pod;
    for (const t of this.targets) {
      const position = `${t.store.name}/${file.serial}:${this.lineStart}${piece === undefined ? '' : `#${piece}`}`;
      const record: LogRecord = {
        id: logRecordId(uid, this.container, this.stream, position),
        time: this.time,
        namespace,
        pod: name,
        podUid: uid,
        container: this.container,
        host: this.ctx.host,
        source: this.stream,
        logstore: t.store.name,
        tags: t.tags,
        line: text,
      };
      if (piece !== undefined) record.piece = { index: piece, last };
      this.ctx.sink.add(record, t.store, file, resume);
    }
  };

  // Lines still waiting for their continuation end as they are (the instance or its file is done).
  private endLines(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const line = this.lines[stream];
      if (!line.pending) continue;
      this.stream = stream;
      this.lineStart = line.start;
      this.time = line.time;
      this.next = this.current!.offset;
      line.end(EMPTY, 0, 0, this.emit);
    }
  }

  // conmon renamed a fresh file over this one: this one is read to its end, then the fresh one from its start.
  private async rotated(): Promise<boolean> {
    const cur = this.current!;
    const st = await fs.stat(cur.path).catch(() => undefined);
    if (!st || st.ino === cur.file.inode) return false;
    await this.switchTo(cur.restart, true);
    return true;
  }

  // The container was restarted: its next instance writes the next file, once this one is complete.
  private async nextInstance(): Promise<boolean> {
    const cur = this.current!;
    const n = (await instanceNumbers(this.dir)).find((x) => x > cur.restart);
    if (n === undefined) return false;
    await this.switchTo(n, true);
    return true;
  }

  /** Lets go of the current file (`drain`: after reading it to its end) and opens the instance's. */
  private async switchTo(restart: number, drain: boolean): Promise<void> {
    const cur = this.current!;
    while (drain && (await this.readChunk())) {
      // to the end of the old file
    }
    this.endLines();
    this.ctx.state.finish(cur.file, cur.offset);
    await this.close();
    if (!(await this.open(restart))) this.restart = restart;
  }
}

/** The restart counts of the container's log files, ascending. */
async function instanceNumbers(dir: string): Promise<number[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names
    .map((n) => /^(\d+)\.log$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
