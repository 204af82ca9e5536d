import { parseQuery } from './query-parser';
import { histogramQuery, likePattern, pageQuery, predicateSql, writtenQuery } from './query-sql';

function where(q: string): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  return { sql: predicateSql(parseQuery(q)!, params), params };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('query SQL', () => {
  it('matches keywords and phrases anywhere in the line, ignoring case, with LIKE characters taken literally', () => {
    expect(where('Error')).toEqual({ sql: 'r.line ILIKE $1', params: ['%Error%'] });
    expect(where('50%_off conn*refused')).toEqual({
      sql: '(r.line ILIKE $1 AND r.line ILIKE $2)',
      params: ['%50\\%\\_off%', '%conn%refused%'],
    });
    expect(where('"a*b \\\\ c"')).toEqual({ sql: 'r.line ILIKE $1', params: ['%a*b \\\\ c%'] });
  });

  it('matches fields and tags whole, wildcards as LIKE, a missing tag as no match', () => {
    expect(where('pod:web-1 OR namespace:team-*')).toEqual({
      sql: '(s.pod = $1 OR s.namespace LIKE $2)',
      params: ['web-1', 'team-%'],
    });
    expect(where('NOT tags.env:prod')).toEqual({
      sql: 'NOT (s.tags @> jsonb_build_object($1::text, $2::text))',
      params: ['env', 'prod'],
    });
    expect(where('tags.env:pr*')).toEqual({
      sql: 'coalesce(s.tags ->> $1 LIKE $2, false)',
      params: ['env', 'pr%'],
    });
  });

  it('nests AND, OR and NOT as parsed', () => {
    expect(where('(a OR "b c") NOT container:x').sql).toBe(
      '((r.line ILIKE $1 OR r.line ILIKE $2) AND NOT (s.container = $3))',
    );
  });

  it('pages by (time, seq) in the asked order after a cursor key', () => {
    const sql = pageQuery({
      storeId: 7,
      from: '2025-06-01T10:00:00.000000Z',
      to: '2025-06-01T10:15:00.000000Z',
      node: parseQuery('boom'),
      order: 'desc',
      limit: 100,
      after: { time: '2025-06-01T10:10:00.123456Z', seq: '42' },
    });
    expect(oneLine(sql.text)).toContain(
      'WHERE r.store_id = $1 AND r.time >= $2::timestamptz AND r.time < $3::timestamptz AND r.line ILIKE $4 AND (r.time, r.seq) < ($5::timestamptz, $6::bigint) ORDER BY r.time DESC, r.seq DESC LIMIT $7',
    );
    expect(sql.params).toEqual([
      7,
      '2025-06-01T10:00:00.000000Z',
      '2025-06-01T10:15:00.000000Z',
      '%boom%',
      '2025-06-01T10:10:00.123456Z',
      '42',
      100,
    ]);
    const asc = pageQuery({ storeId: 7, from: 'a', to: 'b', order: 'asc', limit: 5, after: { time: 't', seq: '1' } });
    expect(oneLine(asc.text)).toContain(
      '(r.time, r.seq) > ($4::timestamptz, $5::bigint) ORDER BY r.time ASC, r.seq ASC',
    );
  });

  it('counts per bucket, joining streams only when the query names their fields', () => {
    const plain = histogramQuery({ storeId: 1, from: 'a', to: 'b', node: parseQuery('x') }, 60);
    expect(oneLine(plain.text)).toContain('floor(extract(epoch FROM r.time) / $5)');
    expect(plain.text).not.toContain('log_streams');
    expect(plain.params).toEqual([1, 'a', 'b', '%x%', 60]);
    expect(histogramQuery({ storeId: 1, from: 'a', to: 'b', node: parseQuery('x pod:p') }, 60).text).toContain(
      'JOIN log_streams',
    );
  });

  it("reads a live tail's notice by the writing transaction", () => {
    const sql = writtenQuery(3, parseQuery('x'), { xid: '99', fromSeq: '10', toSeq: '20', fromTime: 'f', toTime: 't' });
    expect(oneLine(sql.text)).toContain('r.xmin = $6::xid AND r.line ILIKE $7 ORDER BY r.time, r.seq');
    expect(sql.params).toEqual([3, 'f', 't', '10', '20', '99', '%x%']);
  });

  it('escapes LIKE patterns', () => {
    expect(likePattern('a%b_c\\d*', false)).toBe('a\\%b\\_c\\\\d*');
    expect(likePattern('a*', true)).toBe('a%');
  });
});
