import { Logger } from '@nestjs/common';
import { LogRecord, logRecordId, LogSource as RecordSource, MAX_LOG_LINE_BYTES } from '@skiff/messaging';
import { constants, promises as fs, Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { FileLogTarget, fileNameMatcher } from './log-config';
import { LineAssembler, LineSink, splitLine } from './log-line';
import { LogSource, LogSourceContext } from './log-source';
import { TrackedFile } from './pod-log-state';

const NEWLINE = 0x0a;
// How often the directory is listed for new and renamed files.
const SCAN_MS = 1_000;
// A file renamed away from the pattern (rotated) or deleted is read until it has been quiet this long.
const ROTATE_WAIT_MS = 5_000;
// Bytes before the read offset kept to notice a file that was truncated and written again past it.
const FINGERPRINT_BYTES = 16;
const EMPTY = Buffer.alloc(0);

interface TailedFile {
  file: TrackedFile;
  fh: FileHandle;
  source: RecordSource;
  /** Lines before this were read; a line without its newline yet is read again next time. */
  offset: number;
  fingerprint: Buffer;
  line: LineAssembler;
  /** When it stopped matching the pattern (renamed away, deleted). */
  lostAt?: number;
  lastDataAt: number;
}

/**
 * The files one `aliyun_logs_{key}=/dir/pattern` names, on a volume of the pod: read from the host's side of the
 * volume, each file known by its inode. New files are picked up; a file renamed away (rotation by rename) is read
 * until it goes quiet; a file truncated (copytruncate) is read again from its start as a new file.
 */
export class FileLogSource implements LogSource {
  readonly key: string;
  private readonly log = new Logger(FileLogSource.name);
  private readonly files = new Map<number, TailedFile>();
  private readonly matches: (name: string) => boolean;
  private scannedAt = -Infinity;
  /** The pattern's directory on the host, as last found. */
  private dir?: string;
  private resumed = false;
  private warned = false;
  // The line being emitted.
  private cur?: TailedFile;
  private lineStart = 0;
  private next = 0;
  private time = '';

  constructor(
    private readonly ctx: LogSourceContext,
    private readonly container: string,
    private readonly target: FileLogTarget,
    /** The volume's directory on the host. */
    private readonly volumeDir: string,
  ) {
    this.key = `file:${container}:${target.key}`;
    this.matches = fileNameMatcher(target.pattern);
  }

  async read(final: boolean): Promise<boolean> {
    const now = this.ctx.clock.nowMs();
    if (final || now - this.scannedAt >= SCAN_MS) {
      this.scannedAt = now;
      if (await this.scan(now)) return true;
    }
    let more = false;
    for (const t of [...this.files.values()]) {
      const read = await this.readChunk(t, final);
      if (read === 'new-file') return true;
      if (read) {
        t.lastDataAt = now;
        more = true;
      } else if (t.lostAt !== undefined && (final || now - Math.max(t.lostAt, t.lastDataAt) >= ROTATE_WAIT_MS)) {
        await this.letGo(t);
      }
    }
    return more;
  }

  watchDir(): string | undefined {
    return this.dir;
  }

  async close(): Promise<void> {
    for (const t of this.files.values()) await t.fh.close().catch(() => undefined);
    this.files.clear();
  }

  /** Lists the directory; resolves true when it started a new file. */
  private async scan(now: number): Promise<boolean> {
    const dir = await this.directory();
    this.dir = dir?.real;
    const names = dir ? await fs.readdir(dir.real).catch(() => [] as string[]) : [];
    const seen = new Set<number>();
    let started = false;
    const stats = new Map<string, Stats>();
    for (const name of names) {
      if (!this.matches(name)) continue;
      const st = await fs.lstat(path.join(dir!.real, name)).catch(() => undefined);
      if (!st?.isFile()) continue;
      stats.set(name, st);
      seen.add(st.ino);
      const known = this.files.get(st.ino);
      if (known) known.lostAt = undefined;
      else started = (await this.track(dir!, name, now)) || started;
    }
    for (const t of this.files.values()) if (!seen.has(t.file.inode)) t.lostAt ??= now;
    if (!this.resumed && dir) {
      // After a restart: saved files renamed away from the pattern meanwhile still hold lines to read.
      this.resumed = true;
      for (const s of this.ctx.state.savedOf(this.key)) {
        for (const name of names) {
          const st = stats.get(name) ?? (await fs.lstat(path.join(dir.real, name)).catch(() => undefined));
          if (st?.isFile() && st.ino === s.inode && !this.files.has(st.ino)) {
            started = (await this.track(dir, name, now)) || started;
            const t = this.files.get(st.ino);
            if (t) t.lostAt = now;
          }
        }
      }
      this.ctx.state.dropSaved(this.key);
    }
    return started;
  }

  // The pattern's directory on the host, if it exists and stays inside the volume (the container owns the volume's
  // content, and a symlink there must not lead the agent anywhere else on the host).
  private async directory(): Promise<{ real: string; root: string } | undefined> {
    const root = await fs.realpath(this.volumeDir).catch(() => undefined);
    if (!root) return undefined;
    const real = await fs.realpath(path.join(root, this.target.dirInVolume)).catch(() => undefined);
    if (!real) return undefined;
    if (real !== root && !real.startsWith(`${root}/`)) {
      if (!this.warned) this.log.warn(`${this.target.glob}: its directory leaves the volume, not collected`);
      this.warned = true;
      return undefined;
    }
    return { real, root };
  }

  /** Opens a file the pattern matched, resuming its saved offset if it has one; resolves true when it is new. */
  private async track(dir: { real: string; root: string }, name: string, now: number): Promise<boolean> {
    // No following links, no blocking on a FIFO; and what was opened must be a regular file inside the volume.
    const fh = await fs
      .open(path.join(dir.real, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      .catch(() => undefined);
    if (!fh) return false;
    const st = await fh.stat();
    const where = await fs.readlink(`/proc/self/fd/${fh.fd}`).catch(() => '');
    if (!st.isFile() || !where.startsWith(`${dir.root}/`) || this.files.has(st.ino)) {
      await fh.close();
      return false;
    }
    const state = this.ctx.state;
    const saved = state.claimSaved(this.key, (s) => s.inode === st.ino && s.offset <= st.size);
    const containerPath = path.posix.join(this.target.containerDir, name);
    const { file, offset } = state.open(this.key, st.ino, { path: containerPath }, saved);
    this.files.set(st.ino, {
      file,
      fh,
      source: `file:${file.path ?? containerPath}`,
      offset,
      fingerprint: EMPTY,
      line: new LineAssembler(),
      lastDataAt: now,
    });
    return !saved;
  }

  /**
   * Reads one buffer's worth of the file's new lines. Resolves 'new-file' when it found the file truncated (it
   * starts over as a new file), else whether it read anything.
   */
  private async readChunk(t: TailedFile, final: boolean): Promise<boolean | 'new-file'> {
    const { size } = await t.fh.stat();
    if (size < t.offset) return this.truncated(t);
    if (size === t.offset) return false;
    const buf = this.ctx.buffer;
    const from = t.offset - t.fingerprint.length;
    const { bytesRead } = await t.fh.read(buf, 0, Math.min(size - from, buf.length), from);
    const head = t.fingerprint.length;
    if (bytesRead <= head) return false;
    if (head && buf.compare(t.fingerprint, 0, head, 0, head) !== 0) return this.truncated(t);
    this.cur = t;
    this.time = readTime(this.ctx.clock.nowMs());
    let pos = head;
    const at = (i: number) => t.offset + i - head;
    while (pos < bytesRead) {
      const nl = buf.indexOf(NEWLINE, pos);
      if (nl < 0 || nl >= bytesRead) break;
      this.next = at(nl + 1);
      if (t.line.pending) {
        this.lineStart = t.line.start;
        t.line.end(buf, pos, nl, this.emit);
      } else {
        this.lineStart = at(pos);
        splitLine(buf, pos, nl, this.emit);
      }
      pos = nl + 1;
    }
    if (pos < bytesRead) {
      const atEnd = from + bytesRead === size;
      this.lineStart = t.line.pending ? t.line.start : at(pos);
      if (final && atEnd) {
        // The container is gone: its last line ends without a newline.
        this.next = at(bytesRead);
        if (t.line.pending) t.line.end(buf, pos, bytesRead, this.emit);
        else splitLine(buf, pos, bytesRead, this.emit);
        pos = bytesRead;
      } else if (t.line.pending || bytesRead - pos >= MAX_LOG_LINE_BYTES) {
        // A long line still being written: its bytes are kept, its pieces go as they fill up.
        t.line.add(at(pos), '', buf, pos, bytesRead, this.emit);
        pos = bytesRead;
      }
    }
    const consumed = pos - head;
    if (consumed === 0) return false;
    t.offset += consumed;
    t.fingerprint = Buffer.from(buf.subarray(Math.max(0, pos - FINGERPRINT_BYTES), pos));
    return true;
  }

  private readonly emit: LineSink = (text, piece, last) => {
    const t = this.cur!;
    const { uid, namespace, name } = this.ctx.state.pod;
    const store = this.target.store;
    const position = `${store.name}/${t.file.serial}:${this.lineStart}${piece === undefined ? '' : `#${piece}`}`;
    const record: LogRecord = {
      id: logRecordId(uid, this.container, t.source, position),
      time: this.time,
      namespace,
      pod: name,
      podUid: uid,
      container: this.container,
      host: this.ctx.host,
      source: t.source,
      logstore: store.name,
      tags: this.target.tags,
      line: text,
    };
    if (piece !== undefined) record.piece = { index: piece, last };
    this.ctx.sink.add(record, store, t.file, last ? this.next : this.lineStart);
  };

  // copytruncate: lines written after the copy start at offset 0 again; they are a new file, with a new serial.
  private truncated(t: TailedFile): 'new-file' {
    this.endLine(t);
    const state = this.ctx.state;
    state.finish(t.file, t.offset);
    const { file } = state.open(this.key, t.file.inode, { path: t.file.path });
    Object.assign(t, { file, offset: 0, fingerprint: EMPTY });
    return 'new-file';
  }

  private endLine(t: TailedFile): void {
    if (!t.line.pending) return;
    this.cur = t;
    this.lineStart = t.line.start;
    this.next = t.offset;
    this.time = readTime(this.ctx.clock.nowMs());
    t.line.end(EMPTY, 0, 0, this.emit);
  }

  // Renamed away or deleted, and quiet since: its last line is read and it is closed.
  private async letGo(t: TailedFile): Promise<void> {
    while ((await this.readChunk(t, true)) === true) {
      // to its end
    }
    this.endLine(t);
    this.ctx.state.finish(t.file, t.offset);
    this.files.delete(t.file.inode);
    await t.fh.close().catch(() => undefined);
  }
}

// RFC 3339 with nanoseconds, as the CRI lines' times.
function readTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000000Z');
}
