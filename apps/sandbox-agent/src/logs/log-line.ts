import { isUtf8 } from 'node:buffer';
import { MAX_LOG_LINE_BYTES } from '@skiff/messaging';

// A container's bytes become record text here: valid UTF-8 as it is, every byte of an invalid sequence as `\xNN`,
// and lines whose text is over MAX_LOG_LINE_BYTES cut into pieces at character boundaries.

/** Receives a line's text: whole (`piece` undefined), or piece `piece` of it, `last` on the final one. */
export type LineSink = (text: string, piece: number | undefined, last: boolean) => void;

const HEX = '0123456789abcdef';

/** Length of the valid UTF-8 sequence at `i` (1–4), or 0 when the byte there starts none (or it is cut off by `end`). */
function sequenceAt(buf: Buffer, i: number, end: number): number {
  const b0 = buf[i];
  if (b0 < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f; // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > end) return 0;
  if (buf[i + 1] < lo || buf[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (buf[i + k] < 0x80 || buf[i + k] > 0xbf) return 0;
  return n;
}

/** `buf[start, end)` as text; invalid UTF-8 bytes escaped as `\xNN` (lower-case hex). */
export function decodeLogText(buf: Buffer, start: number, end: number): string {
  if (isUtf8(buf.subarray(start, end))) return buf.toString('utf8', start, end);
  let out = '';
  let run = start;
  for (let i = start; i < end;) {
    const n = sequenceAt(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) out += buf.toString('utf8', run, i);
    out += `\\x${HEX[buf[i] >> 4]}${HEX[buf[i] & 15]}`;
    run = ++i;
  }
  return run < end ? out + buf.toString('utf8', run, end) : out;
}

/** Where the longest prefix of `buf[start, end)` whose text fits in `max` bytes ends, at a character boundary. */
export function pieceEnd(buf: Buffer, start: number, end: number, max = MAX_LOG_LINE_BYTES): number {
  let cut = Math.min(end, start + max);
  if (cut < end) {
    // Back off to the start of a character (continuation bytes are 10xxxxxx).
    let k = cut;
    while (k > start && cut - k < 3 && (buf[k] & 0xc0) === 0x80) k--;
    if ((buf[k] & 0xc0) !== 0x80 && k > start) cut = k;
  }
  if (isUtf8(buf.subarray(start, cut))) return cut;
  // Invalid bytes take 4 bytes of text each: walk.
  let text = 0;
  let i = start;
  while (i < end) {
    const n = sequenceAt(buf, i, end);
    const cost = n === 0 ? 4 : n;
    if (text + cost > max) break;
    text += cost;
    i += n === 0 ? 1 : n;
  }
  return i;
}

/** Emits `buf[start, end)`, a whole line, as one text or as pieces `first`, `first + 1`… of at most `max` bytes. */
export function splitLine(
  buf: Buffer,
  start: number,
  end: number,
  sink: LineSink,
  first = 0,
  max = MAX_LOG_LINE_BYTES,
): void {
  if (first === 0 && end - start <= max && isUtf8(buf.subarray(start, end))) {
    sink(buf.toString('utf8', start, end), undefined, true);
    return;
  }
  let piece = first;
  let at = start;
  for (;;) {
    const cut = pieceEnd(buf, at, end, max);
    if (piece === 0 && cut === end) {
      sink(decodeLogText(buf, at, end), undefined, true);
      return;
    }
    sink(decodeLogText(buf, at, cut), piece++, cut === end);
    if (cut === end) return;
    at = cut;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * One line arriving in parts (CRI partial entries, a file's long line across reads). Its bytes are kept (copied)
 * until it ends; once they are over `max`, whole pieces go out at once, so what is held stays under `max` bytes.
 */
export class LineAssembler {
  /** Where the pending line starts in its source; -1 when none is pending. */
  start = -1;
  /** Whatever its first part carried (the CRI entry's time). */
  time = '';
  private held: Buffer = EMPTY;
  private pieces = 0;

  constructor(private readonly max = MAX_LOG_LINE_BYTES) {}

  get pending(): boolean {
    return this.start >= 0;
  }

  /** Bytes of the line that starts at `start` (taken from the first call only). */
  add(start: number, time: string, buf: Buffer, s: number, e: number, sink: LineSink): void {
    if (this.start < 0) {
      this.start = start;
      this.time = time;
    }
    this.held = this.held.length ? Buffer.concat([this.held, buf.subarray(s, e)]) : Buffer.from(buf.subarray(s, e));
    while (this.held.length > this.max) {
      const cut = pieceEnd(this.held, 0, this.held.length, this.max);
      sink(decodeLogText(this.held, 0, cut), this.pieces++, false);
      this.held = this.held.subarray(cut);
    }
  }

  /** The line ends with `buf[s, e)`: what is held and these bytes go out (as the last pieces if pieces went before). */
  end(buf: Buffer, s: number, e: number, sink: LineSink): void {
    const rest = this.held.length ? Buffer.concat([this.held, buf.subarray(s, e)]) : buf.subarray(s, e);
    splitLine(rest, 0, rest.length, sink, this.pieces, this.max);
    this.reset();
  }

  reset(): void {
    this.start = -1;
    this.time = '';
    this.held = EMPTY;
    this.pieces = 0;
  }
}
