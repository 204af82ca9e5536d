import { Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { AuditEvent } from '@skiff/api-server';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

export interface AuditLogWriterOptions {
  file: string;
  /** Rotate before the file would pass this size (--audit-log-maxsize, in bytes here). */
  maxSizeBytes: number;
  /** Rotated files kept (--audit-log-maxbackup); 0 keeps none. */
  maxBackups: number;
  /** Events waiting for the disk; beyond this they are dropped, counted and reported, never waited for. */
  maxBuffered: number;
  now?: () => Date;
}

/**
 * Appends audit events as JSON lines, rotated by size as kube-apiserver's log backend (lumberjack) does: the full file
 * is renamed `audit-<time>.log` and the oldest backups beyond the limit are removed. Writing is asynchronous behind a
 * bounded buffer, so a slow disk never holds up or fails a request.
 */
export class AuditLogWriter {
  private readonly log = new Logger('audit');
  private queue: string[] = [];
  private handle?: FileHandle;
  private size = 0;
  private draining?: Promise<void>;
  private dropped = 0;
  private readonly now: () => Date;

  constructor(private readonly opts: AuditLogWriterOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  write(event: AuditEvent): void {
    if (this.queue.length >= this.opts.maxBuffered) {
      this.dropped += 1;
      return;
    }
    this.queue.push(`${JSON.stringify(event)}\n`);
    this.kick();
  }

  /** Resolves once every buffered event is on disk (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const lines = this.queue;
      this.queue = [];
      if (this.dropped > 0) {
        this.log.warn(
          `${this.dropped} audit events dropped: the audit log could not keep up (${this.opts.maxBuffered} events buffered)`,
        );
        this.dropped = 0;
      }
      try {
        await this.append(Buffer.from(lines.join('')));
      } catch (err) {
        this.log.error(`${lines.length} audit events lost: cannot write ${this.opts.file}: ${errorMessage(err)}`);
        await this.handle?.close().catch(() => undefined);
        this.handle = undefined;
      }
    }
  }

  private async append(data: Buffer): Promise<void> {
    if (!this.handle) {
      await mkdir(path.dirname(this.opts.file), { recursive: true, mode: 0o700 });
      this.handle = await open(this.opts.file, 'a', 0o600);
      this.size = (await this.handle.stat()).size;
    }
    if (this.size > 0 && this.size + data.length > this.opts.maxSizeBytes) await this.rotate();
    await this.handle!.write(data);
    this.size += data.length;
  }

  private async rotate(): Promise<void> {
    await this.handle!.close();
    this.handle = undefined;
    const { dir, name, ext } = path.parse(this.opts.file);
    // lumberjack's backup name: <name>-<2006-01-02T15-04-05.000><ext>, in UTC.
    const stamp = this.now().toISOString().replace(/:/g, '-').replace(/Z$/, '');
    await rename(this.opts.file, path.join(dir, `${name}-${stamp}${ext}`));
    const backups = (await readdir(dir)).filter((f) => f.startsWith(`${name}-`) && f.endsWith(ext)).sort();
    for (const old of backups.slice(0, Math.max(0, backups.length - this.opts.maxBackups)))
      await rm(path.join(dir, old), { force: true });
    this.handle = await open(this.opts.file, 'a', 0o600);
    this.size = (await stat(this.opts.file)).size;
  }
}
