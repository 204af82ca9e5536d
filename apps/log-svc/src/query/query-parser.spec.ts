import { LogQueryError } from './log-query.error';
import { parseQuery, QueryNode } from './query-parser';

const text = (value: string, wildcard = true): QueryNode => ({ kind: 'text', value, wildcard });

function errorOf(q: string): string {
  try {
    parseQuery(q);
  } catch (err) {
    expect(err).toBeInstanceOf(LogQueryError);
    expect((err as LogQueryError).code).toBe('invalid');
    return (err as Error).message;
  }
  throw new Error(`"${q}" parsed`);
}

describe('parseQuery', () => {
  it('reads nothing as everything', () => {
    expect(parseQuery('')).toBeUndefined();
    expect(parseQuery('   ')).toBeUndefined();
  });

  it('reads keywords side by side as AND, and quoted phrases as written', () => {
    expect(parseQuery('error timeout')).toEqual({ kind: 'and', items: [text('error'), text('timeout')] });
    expect(parseQuery('"connection refused" db')).toEqual({
      kind: 'and',
      items: [text('connection refused', false), text('db')],
    });
    expect(parseQuery('"say \\"hi\\" \\\\ bye"')).toEqual(text('say "hi" \\ bye', false));
  });

  it('gives NOT over AND over OR, operators in any case, and parentheses', () => {
    expect(parseQuery('a OR b c')).toEqual({
      kind: 'or',
      items: [text('a'), { kind: 'and', items: [text('b'), text('c')] }],
    });
    expect(parseQuery('a and not b or c')).toEqual({
      kind: 'or',
      items: [{ kind: 'and', items: [text('a'), { kind: 'not', item: text('b') }] }, text('c')],
    });
    expect(parseQuery('(a OR b) AND NOT (c)')).toEqual({
      kind: 'and',
      items: [
        { kind: 'or', items: [text('a'), text('b')] },
        { kind: 'not', item: text('c') },
      ],
    });
    expect(parseQuery('NOT NOT a')).toEqual({ kind: 'not', item: { kind: 'not', item: text('a') } });
  });

  it('reads field:value and tags.key:value, quoted values as written', () => {
    expect(parseQuery('pod:web-* container:app')).toEqual({
      kind: 'and',
      items: [
        { kind: 'field', field: 'pod', value: 'web-*', wildcard: true },
        { kind: 'field', field: 'container', value: 'app', wildcard: true },
      ],
    });
    expect(parseQuery('source:file:/var/log/app/*.log')).toEqual({
      kind: 'field',
      field: 'source',
      value: 'file:/var/log/app/*.log',
      wildcard: true,
    });
    expect(parseQuery('tags.env:prod')).toEqual({ kind: 'tag', key: 'env', value: 'prod', wildcard: true });
    expect(parseQuery('tags.team:"a b*"')).toEqual({ kind: 'tag', key: 'team', value: 'a b*', wildcard: false });
  });

  it('takes other words with colons for keywords', () => {
    expect(parseQuery('status:500')).toEqual(text('status:500'));
    expect(parseQuery('http://example')).toEqual(text('http://example'));
    expect(parseQuery('Pod:web')).toEqual(text('Pod:web'));
  });

  it('points at the position of what is wrong', () => {
    expect(errorOf('a )')).toBe('query: unexpected ")" at position 3');
    expect(errorOf('(a OR b')).toBe('query: missing ")" for the "(" at position 1');
    expect(errorOf('a AND')).toBe('query: expected a term after "AND" at position 6');
    expect(errorOf('a OR OR b')).toBe('query: unexpected "OR" at position 6');
    expect(errorOf('()')).toBe('query: unexpected ")" at position 2');
    expect(errorOf('say "unclosed')).toBe('query: unterminated phrase starting at position 5');
    expect(errorOf('a ""')).toBe('query: empty phrase at position 3');
    expect(errorOf('x pod: y')).toBe('query: pod needs a value at position 3');
    expect(errorOf('NOT')).toBe('query: expected a term after "NOT" at position 4');
  });

  it('refuses queries too long or too deep', () => {
    expect(errorOf('x'.repeat(5000))).toMatch(/longer than 4096/);
    expect(errorOf(Array.from({ length: 65 }, (_, i) => `w${i}`).join(' '))).toMatch(/more than 64 terms/);
    expect(errorOf(`${'('.repeat(40)}a${')'.repeat(40)}`)).toMatch(/nested deeper than 32/);
  });
});
