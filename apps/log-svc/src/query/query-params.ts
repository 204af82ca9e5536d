import { timeOf } from '../store/record-time';
import { LogQueryError } from './log-query.error';
import { parseQuery, QueryNode } from './query-parser';
import type { PodLogOptions } from './pod-log.service';

export const DEFAULT_WINDOW_MS = 15 * 60_000;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** A time window [from, to), RFC 3339 in UTC to the microsecond. */
export interface TimeWindow {
  from: string;
  to: string;
}

/** What `GET …/logstores/{name}/query` asks, checked. */
export interface LogQueryParams {
  /** The query text as given (a cursor is tied to it). */
  query: string;
  node?: QueryNode;
  /** Absent with a cursor: the cursor carries its window. */
  window?: TimeWindow;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
  /** Bucket seconds of the histogram asked for. */
  histogram?: number;
  follow: boolean;
}

/**
 * Reads the query parameters: `from`/`to` (RFC 3339 or unix seconds; the last 15 minutes by default), `query`,
 * `order` (asc|desc, default desc), `limit` (default 100, at most 1000), `cursor`, `histogram` (bucket seconds),
 * `follow` (true|false).
 */
export function parseQueryParams(q: Record<string, unknown>, nowMs: number): LogQueryParams {
  const str = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw LogQueryError.invalid(`${name}: given more than once`);
    return v;
  };
  const query = str('query') ?? '';
  const cursor = str('cursor') || undefined;
  const order = str('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw LogQueryError.invalid(`order: must be asc or desc, got "${order}"`);
  const limit = intParam('limit', str('limit'), 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
  const histogram = intParam('histogram', str('histogram'), 1, 366 * 86_400);
  const follow = boolParam('follow', str('follow'));
  let window: TimeWindow | undefined;
  if (!cursor) {
    const to = timeParam('to', str('to')) ?? isoMicros(nowMs);
    const from = timeParam('from', str('from')) ?? isoMicros(Date.parse(to) - DEFAULT_WINDOW_MS);
    if (from >= to) throw LogQueryError.invalid(`from (${from}) must be before to (${to})`);
    window = { from, to };
  }
  return {
    query,
    ...(query.trim() !== '' ? { node: parseQuery(query) } : {}),
    ...(window ? { window } : {}),
    order,
    limit,
    ...(cursor ? { cursor } : {}),
    ...(histogram !== undefined ? { histogram } : {}),
    follow,
  };
}

/** Reads kubelet's log options (`container`, `tailLines`, `sinceSeconds`/`sinceTime`, `timestamps`, `limitBytes`, `previous`). */
export function parsePodLogParams(q: Record<string, unknown>, nowMs: number): PodLogOptions {
  const text = (k: string) => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
  const sinceSeconds = intParam('sinceSeconds', text('sinceSeconds'), 0, Number.MAX_SAFE_INTEGER);
  const sinceTime = text('sinceTime');
  const since = sinceTime
    ? timeOf(sinceTime)?.time
    : sinceSeconds !== undefined
      ? isoMicros(nowMs - sinceSeconds * 1000)
      : undefined;
  if (sinceTime && !since) throw LogQueryError.invalid(`sinceTime must be RFC 3339, got "${sinceTime}"`);
  const tailLines = intParam('tailLines', text('tailLines'), 0, Number.MAX_SAFE_INTEGER);
  const limitBytes = intParam('limitBytes', text('limitBytes'), 1, Number.MAX_SAFE_INTEGER);
  const container = text('container');
  return {
    ...(container ? { container } : {}),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(since ? { since } : {}),
    timestamps: boolParam('timestamps', text('timestamps')),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    previous: boolParam('previous', text('previous')),
  };
}

/** A time as RFC 3339 in UTC with six decimals, so that windows compare as strings. */
export function isoMicros(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

function timeParam(name: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^\d{1,11}(\.\d{1,6})?$/.test(v)) {
    const [seconds, fraction = ''] = v.split('.');
    return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.padEnd(6, '0')}Z`;
  }
  const t = timeOf(v);
  if (!t) throw LogQueryError.invalid(`${name}: expected RFC 3339 or unix seconds, got "${v}"`);
  return t.time;
}

function intParam(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw LogQueryError.invalid(`${name}: expected an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw LogQueryError.invalid(`${name}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolParam(name: string, v: string | undefined): boolean {
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw LogQueryError.invalid(`${name}: expected true or false, got "${v}"`);
}
