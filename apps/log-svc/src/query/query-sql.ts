import { QueryNode } from './query-parser';

/** A statement and its parameters ($1…). */
export interface Sql {
  text: string;
  params: unknown[];
}

/** Records of a store in [from, to) that match `node`; times are RFC 3339 (UTC, to the microsecond). */
export interface RecordSelection {
  storeId: number;
  from: string;
  to: string;
  node?: QueryNode;
}

export interface PageSpec extends RecordSelection {
  order: 'asc' | 'desc';
  limit: number;
  /** The (time, seq) of the last record of the previous page. */
  after?: RecordKey;
}

export interface RecordKey {
  time: string;
  seq: string;
}

/** What a record row holds, as RECORD_COLUMNS selects it. */
export interface RecordRow {
  id: string;
  /** UTC, to the microsecond, without the zone. */
  time: string;
  nanos: number;
  seq: string;
  piece_index: number | null;
  piece_last: boolean | null;
  line: string;
  namespace: string;
  pod: string;
  pod_uid: string;
  container: string;
  host: string;
  source: string;
  tags: Record<string, string>;
}

export const RECORD_COLUMNS = `replace(r.id::text, '-', '') AS id,
  to_char(r.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS time, r.time_nanos AS nanos, r.seq::text AS seq,
  r.piece_index, r.piece_last, r.line, s.namespace, s.pod, s.pod_uid, s.container, s.host, s.source, s.tags`;

const FROM_RECORDS = `FROM log_records r JOIN log_streams s ON s.id = r.stream_id`;

/** One page of records, newest or oldest first, after a cursor's key. */
export function pageQuery(spec: PageSpec): Sql {
  const params: unknown[] = [];
  const where = selectionWhere(spec, params);
  if (spec.after) {
    params.push(spec.after.time, spec.after.seq);
    const op = spec.order === 'desc' ? '<' : '>';
    where.push(`(r.time, r.seq) ${op} ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  params.push(spec.limit);
  const dir = spec.order === 'desc' ? 'DESC' : 'ASC';
  return {
    text: `SELECT ${RECORD_COLUMNS} ${FROM_RECORDS} WHERE ${where.join(' AND ')}
      ORDER BY r.time ${dir}, r.seq ${dir} LIMIT $${params.length}`,
    params,
  };
}

/** Counts per bucket of `bucketSeconds` (aligned to the epoch): `bucket` is the bucket's start over the size. */
export function histogramQuery(spec: RecordSelection, bucketSeconds: number): Sql {
  const params: unknown[] = [];
  const where = selectionWhere(spec, params);
  params.push(bucketSeconds);
  // Streams are joined only when the query names their fields: a count needs nothing else of them.
  const from = spec.node && namesStreams(spec.node) ? FROM_RECORDS : 'FROM log_records r';
  return {
    text: `SELECT floor(extract(epoch FROM r.time) / $${params.length})::bigint::text AS bucket, count(*)::int AS n
      ${from} WHERE ${where.join(' AND ')} GROUP BY 1 ORDER BY 1`,
    params,
  };
}

/** The records one transaction wrote to a store (a live tail's notice), oldest first. */
export function writtenQuery(
  storeId: number,
  node: QueryNode | undefined,
  written: { xid: string; fromSeq: string; toSeq: string; fromTime: string; toTime: string },
): Sql {
  const params: unknown[] = [storeId, written.fromTime, written.toTime, written.fromSeq, written.toSeq, written.xid];
  const where = [
    `r.store_id = $1`,
    `r.time BETWEEN $2::timestamptz AND $3::timestamptz`,
    `r.seq BETWEEN $4::bigint AND $5::bigint`,
    `r.xmin = $6::xid`,
  ];
  if (node) where.push(predicateSql(node, params));
  return {
    text: `SELECT ${RECORD_COLUMNS} ${FROM_RECORDS} WHERE ${where.join(' AND ')} ORDER BY r.time, r.seq`,
    params,
  };
}

function selectionWhere(spec: RecordSelection, params: unknown[]): string[] {
  params.push(spec.storeId, spec.from, spec.to);
  const where = [`r.store_id = $1`, `r.time >= $2::timestamptz`, `r.time < $3::timestamptz`];
  if (spec.node) where.push(predicateSql(spec.node, params));
  return where;
}

/** The SQL condition of a query over `r` (log_records) and `s` (log_streams); its values go into `params`. */
export function predicateSql(node: QueryNode, params: unknown[]): string {
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  switch (node.kind) {
    case 'text':
      return `r.line ILIKE ${param(`%${likePattern(node.value, node.wildcard)}%`)}`;
    case 'field': {
      const column = `s.${node.field}`;
      return node.wildcard && node.value.includes('*')
        ? `${column} LIKE ${param(likePattern(node.value, true))}`
        : `${column} = ${param(node.value)}`;
    }
    case 'tag': {
      const key = param(node.key);
      // Never NULL (a record without the tag does not match, and NOT of it does).
      return node.wildcard && node.value.includes('*')
        ? `coalesce(s.tags ->> ${key} LIKE ${param(likePattern(node.value, true))}, false)`
        : `s.tags @> jsonb_build_object(${key}::text, ${param(node.value)}::text)`;
    }
    case 'and':
    case 'or':
      return `(${node.items.map((n) => predicateSql(n, params)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT (${predicateSql(node.item, params)})`;
  }
}

/** Whether the query names a stream's fields (namespace, pod, …, tags). */
export function namesStreams(node: QueryNode): boolean {
  switch (node.kind) {
    case 'text':
      return false;
    case 'field':
    case 'tag':
      return true;
    case 'and':
    case 'or':
      return node.items.some(namesStreams);
    case 'not':
      return namesStreams(node.item);
  }
}

/** A LIKE pattern matching `value` as written (`\`, `%`, `_` escaped), with `*` as `%` when `wildcard`. */
export function likePattern(value: string, wildcard: boolean): string {
  const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
  return wildcard ? escaped.replace(/\*/g, '%') : escaped;
}
