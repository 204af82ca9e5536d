import { LogQueryError } from './log-query.error';

/** The record fields a query can name (`pod:web-1`); tags are `tags.<key>:<value>`. */
export const QUERY_FIELDS = ['namespace', 'pod', 'container', 'host', 'source'] as const;
export type QueryField = (typeof QUERY_FIELDS)[number];

/**
 * A parsed query. Text matches the line anywhere, ignoring case; fields and tags match their whole value, case and
 * all. `*` matches anything, except in a quoted phrase or value, which is taken as written.
 */
export type QueryNode =
  | { kind: 'text'; value: string; wildcard: boolean }
  | { kind: 'field'; field: QueryField; value: string; wildcard: boolean }
  | { kind: 'tag'; key: string; value: string; wildcard: boolean }
  | { kind: 'and' | 'or'; items: QueryNode[] }
  | { kind: 'not'; item: QueryNode };

const MAX_QUERY_LENGTH = 4096;
const MAX_TERMS = 64;
const MAX_DEPTH = 32;

type Token =
  | { type: 'word'; text: string; pos: number }
  | { type: 'phrase'; text: string; pos: number }
  | { type: 'field'; name: string; value: string; quoted: boolean; pos: number }
  | { type: '(' | ')' | 'AND' | 'OR' | 'NOT' | 'end'; pos: number };

const FIELD = /^(namespace|pod|container|host|source|tags\.[^\s:()"]+):/;

/** Parses query text; an empty query is undefined (everything matches). Errors name the 1-based position. */
export function parseQuery(text: string): QueryNode | undefined {
  if (text.length > MAX_QUERY_LENGTH) throw LogQueryError.invalid(`query: longer than ${MAX_QUERY_LENGTH} characters`);
  const tokens = tokenize(text);
  if (tokens.filter((t) => t.type === 'word' || t.type === 'phrase' || t.type === 'field').length > MAX_TERMS)
    throw LogQueryError.invalid(`query: more than ${MAX_TERMS} terms`);
  if (tokens[0].type === 'end') return undefined;
  return new Parser(tokens).parse();
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c, pos: i + 1 });
      i++;
    } else if (c === '"') {
      const [value, next] = quoted(text, i);
      tokens.push({ type: 'phrase', text: value, pos: i + 1 });
      i = next;
    } else {
      const start = i;
      const field = FIELD.exec(text.slice(i));
      if (field) {
        i += field[0].length;
        let value: string;
        let isQuoted = false;
        if (text[i] === '"') {
          [value, i] = quoted(text, i);
          isQuoted = true;
        } else {
          const end = wordEnd(text, i);
          value = text.slice(i, end);
          i = end;
        }
        if (value === '') throw LogQueryError.invalid(`query: ${field[1]} needs a value at position ${start + 1}`);
        tokens.push({ type: 'field', name: field[1], value, quoted: isQuoted, pos: start + 1 });
        continue;
      }
      i = wordEnd(text, i);
      const word = text.slice(start, i);
      const op = word.toUpperCase();
      if (op === 'AND' || op === 'OR' || op === 'NOT') tokens.push({ type: op, pos: start + 1 });
      else tokens.push({ type: 'word', text: word, pos: start + 1 });
    }
  }
  tokens.push({ type: 'end', pos: text.length + 1 });
  return tokens;
}

function wordEnd(text: string, i: number): number {
  while (i < text.length && !/[\s()"]/.test(text[i])) i++;
  return i;
}

/** A double-quoted string from `text[start]`: `\"` and `\\` stand for themselves. Returns it and where it ends. */
function quoted(text: string, start: number): [string, number] {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) value += text[++i];
    else if (c === '"') {
      if (value === '') throw LogQueryError.invalid(`query: empty phrase at position ${start + 1}`);
      return [value, i + 1];
    } else value += c;
  }
  throw LogQueryError.invalid(`query: unterminated phrase starting at position ${start + 1}`);
}

// or  := and (OR and)*
// and := not ([AND] not)*      (two terms side by side mean AND)
// not := NOT not | primary
// primary := '(' or ')' | term
class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): QueryNode {
    const node = this.or();
    const t = this.peek();
    if (t.type !== 'end') throw this.unexpected(t);
    return node;
  }

  private or(): QueryNode {
    const items = [this.and()];
    while (this.peek().type === 'OR') {
      this.i++;
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private and(): QueryNode {
    const items = [this.not()];
    for (;;) {
      const t = this.peek();
      if (t.type === 'end' || t.type === 'OR' || t.type === ')') break;
      if (t.type === 'AND') this.i++;
      items.push(this.not());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private not(): QueryNode {
    if (this.peek().type !== 'NOT') return this.primary();
    this.i++;
    return { kind: 'not', item: this.nested(() => this.not()) };
  }

  private primary(): QueryNode {
    const t = this.tokens[this.i];
    switch (t.type) {
      case '(': {
        this.i++;
        const node = this.nested(() => this.or());
        if (this.peek().type !== ')') {
          const next = this.peek();
          throw next.type === 'end'
            ? LogQueryError.invalid(`query: missing ")" for the "(" at position ${t.pos}`)
            : this.unexpected(next);
        }
        this.i++;
        return node;
      }
      case 'word':
        this.i++;
        return { kind: 'text', value: t.text, wildcard: true };
      case 'phrase':
        this.i++;
        return { kind: 'text', value: t.text, wildcard: false };
      case 'field':
        this.i++;
        return fieldNode(t.name, t.value, !t.quoted);
      default:
        throw this.unexpected(t, this.tokens[this.i - 1]);
    }
  }

  private nested(parse: () => QueryNode): QueryNode {
    if (++this.depth > MAX_DEPTH) throw LogQueryError.invalid(`query: nested deeper than ${MAX_DEPTH}`);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private unexpected(t: Token, after?: Token): LogQueryError {
    if (t.type === 'end')
      return LogQueryError.invalid(
        `query: expected a term${after && after.type !== '(' ? ` after ${describe(after)}` : ''} at position ${t.pos}`,
      );
    return LogQueryError.invalid(`query: unexpected ${describe(t)} at position ${t.pos}`);
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case 'word':
    case 'phrase':
      return `"${t.text}"`;
    case 'field':
      return `"${t.name}:${t.value}"`;
    case 'end':
      return 'end of query';
    default:
      return `"${t.type}"`;
  }
}

function fieldNode(name: string, value: string, wildcard: boolean): QueryNode {
  if (name.startsWith('tags.')) return { kind: 'tag', key: name.slice('tags.'.length), value, wildcard };
  return { kind: 'field', field: name as QueryField, value, wildcard };
}
