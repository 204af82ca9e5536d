import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { rfc3339OfCriTime } from '../runtime/cri-log-entry';

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  /** Only lines at or after this time. */
  since?: Date;
  timestamps: boolean;
  limitBytes?: number;
}

/** One CRI log line: `2026-01-02T03:04:05.123456789Z stdout F hello` (P = partial, F = full). */
export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

export function parseCriLine(line: string): CriLogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4] };
}

/** What `kubectl logs` shows for a line: partial lines join the next, `--timestamps` prefixes the time. */
export function formatLine(l: CriLogLine, timestamps: boolean): string {
  const body = l.partial ? l.text : `${l.text}\n`;
  return timestamps ? `${rfc3339OfCriTime(l.time)} ${body}` : body;
}

const POLL_MS = 200;

/**
 * Streams a conmon-written CRI log file the way kubelet serves containerLogs: tail and since
 * filters, optional timestamps, a byte limit, and with `follow` new lines as they are written
 * until `stillWriting()` says the container is gone and the file is drained.
 */
export function readCriLog(path: string, opts: LogOptions, stillWriting: () => boolean): Readable {
  const out = new Readable({ read() {} });
  let sent = 0;
  let stopped = false;
  out.on('close', () => (stopped = true));
  const emit = (l: CriLogLine): boolean => {
    if (opts.since && Date.parse(l.time) < opts.since.getTime()) return true;
    let text = formatLine(l, opts.timestamps);
    if (opts.limitBytes !== undefined) {
      const room = opts.limitBytes - sent;
      if (room <= 0) return false;
      if (Buffer.byteLength(text) > room) text = Buffer.from(text).subarray(0, room).toString();
    }
    sent += Buffer.byteLength(text);
    out.push(text);
    return true;
  };
  void (async () => {
    const fh = await open(path, 'r');
    try {
      let offset = 0;
      let carry = '';
      const readNew = async (): Promise<CriLogLine[]> => {
        const { size } = await fh.stat();
        if (size <= offset) return [];
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        const text = carry + buf.toString('utf8');
        const parts = text.split('\n');
        carry = parts.pop() ?? '';
        return parts.map(parseCriLine).filter((l): l is CriLogLine => l !== undefined);
      };
      let lines = await readNew();
      if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
      for (const l of lines) if (!emit(l)) return;
      while (opts.follow && !stopped) {
        const more = await readNew();
        for (const l of more) if (!emit(l)) return;
        if (more.length === 0) {
          if (!stillWriting()) {
            for (const l of await readNew()) if (!emit(l)) return;
            return;
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      }
    } finally {
      await fh.close();
      out.push(null);
    }
  })().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}
