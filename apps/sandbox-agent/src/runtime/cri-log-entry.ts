// The CRI log format conmon writes (`k8s-file`): one entry per line, `<time> <stream> <P|F> <content>`, where P marks
// a partial line continued by the next entry of the same stream. `kubectl logs`, attach and log collection read it.

const SPACE = 0x20;

export type CriStream = 'stdout' | 'stderr';

/** Where the parts of one entry sit in the buffer it was read into (nothing is copied). */
export interface CriEntry {
  timeStart: number;
  timeEnd: number;
  stream: CriStream;
  partial: boolean;
  /** The content runs from here to the entry's end. */
  contentStart: number;
}

/** Parses `buf[start, end)`, one entry without its newline; undefined when it is not a CRI entry. */
export function scanCriEntry(buf: Buffer, start: number, end: number): CriEntry | undefined {
  const a = buf.indexOf(SPACE, start);
  if (a <= start || a + 9 > end) return undefined;
  const stream = streamAt(buf, a + 1);
  const b = a + 7;
  if (!stream || buf[b] !== SPACE) return undefined;
  const tag = buf[b + 1];
  if (tag !== 0x50 /* P */ && tag !== 0x46 /* F */) return undefined;
  if (b + 2 !== end && buf[b + 2] !== SPACE) return undefined;
  return { timeStart: start, timeEnd: a, stream, partial: tag === 0x50, contentStart: Math.min(b + 3, end) };
}

// `stdout` or `stderr` at i, compared byte by byte.
function streamAt(buf: Buffer, i: number): CriStream | undefined {
  if (buf[i] !== 0x73 || buf[i + 1] !== 0x74 || buf[i + 2] !== 0x64) return undefined; // std
  if (buf[i + 3] === 0x6f && buf[i + 4] === 0x75 && buf[i + 5] === 0x74) return 'stdout';
  if (buf[i + 3] === 0x65 && buf[i + 4] === 0x72 && buf[i + 5] === 0x72) return 'stderr';
  return undefined;
}

/** conmon writes times ending in `+00:00`; kubelet, kubectl and log records use RFC 3339 with `Z`. */
export function rfc3339OfCriTime(time: string): string {
  return time.endsWith('+00:00') ? `${time.slice(0, -6)}Z` : time;
}
