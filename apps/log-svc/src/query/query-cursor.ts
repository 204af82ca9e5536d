import { createHash } from 'node:crypto';
import { LogQueryError } from './log-query.error';
import { TimeWindow } from './query-params';
import { RecordKey } from './query-sql';

/**
 * Where a page ended: the window and order of the first page (so later pages read the same records whatever time it
 * is), the query it belongs to, and the (time, seq) key of the page's last record. Records written since land
 * before or after it by that key, so no record is skipped or seen twice.
 */
export interface CursorState {
  window: TimeWindow;
  order: 'asc' | 'desc';
  after: RecordKey;
}

interface Encoded {
  v: 1;
  f: string;
  t: string;
  o: 'asc' | 'desc';
  q: string;
  k: [string, string];
}

export function encodeCursor(state: CursorState, query: string): string {
  const body: Encoded = {
    v: 1,
    f: state.window.from,
    t: state.window.to,
    o: state.order,
    q: queryDigest(query),
    k: [state.after.time, state.after.seq],
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, query: string): CursorState {
  let body: Partial<Encoded>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Encoded>;
  } catch {
    throw LogQueryError.invalid('cursor: not a cursor this endpoint gave');
  }
  const ok =
    body?.v === 1 &&
    typeof body.f === 'string' &&
    typeof body.t === 'string' &&
    (body.o === 'asc' || body.o === 'desc') &&
    Array.isArray(body.k) &&
    typeof body.k[0] === 'string' &&
    typeof body.k[1] === 'string' &&
    /^\d+$/.test(body.k[1]);
  if (!ok) throw LogQueryError.invalid('cursor: not a cursor this endpoint gave');
  if (body.q !== queryDigest(query)) throw LogQueryError.invalid('cursor: it belongs to another query');
  return { window: { from: body.f!, to: body.t! }, order: body.o!, after: { time: body.k![0], seq: body.k![1] } };
}

function queryDigest(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}
