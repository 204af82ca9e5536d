// JSON syntax errors worded as Go's encoding/json scanner words them: what kube-apiserver puts
// in its answers (and what clients match on), never a JavaScript parser's text.

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES = new Set('bfnrt\\/"'.split('').map((c) => c.charCodeAt(0)));

class GoJsonSyntaxError extends Error {}

// encoding/json's maxNestingDepth.
const MAX_NESTING_DEPTH = 10_000;

// strconv.Quote of one byte, in single quotes (encoding/json's quoteChar).
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = {
    0x07: '\\a',
    0x08: '\\b',
    0x0c: '\\f',
    0x0a: '\\n',
    0x0d: '\\r',
    0x09: '\\t',
    0x0b: '\\v',
    0x5c: '\\\\',
  };
  if (named[c] !== undefined) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c >= 0x80 && c < 0xa0) return `'\\u00${c.toString(16)}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * Scans `data` as Go's checkValid does and returns its first syntax error, or undefined for valid JSON. `maxDepth`
 * lowers Go's nesting limit for a reader that cannot follow it.
 */
export function goJsonSyntaxError(data: Uint8Array, maxDepth = MAX_NESTING_DEPTH): string | undefined {
  let i = 0;
  const fail = (context: string): never => {
    throw new GoJsonSyntaxError(
      i >= data.length ? 'unexpected end of JSON input' : `invalid character ${quoteChar(data[i])} ${context}`,
    );
  };
  const skipSpace = (): void => {
    while (i < data.length && SPACE.has(data[i])) i++;
  };
  const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

  const literal = (word: string): void => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (data[i] !== word.charCodeAt(k)) fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
    }
    i++;
  };

  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = data[i];
      if (c === undefined) fail('in string literal');
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        i++;
        const e = data[i];
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            const h = data[i];
            if (h === undefined || !/[0-9a-fA-F]/.test(String.fromCharCode(h)))
              fail('in \\u hexadecimal character escape');
          }
        } else if (e === undefined || !ESCAPES.has(e)) fail('in string escape code');
      } else if (c < 0x20) fail('in string literal');
      i++;
    }
  };

  const number = (): void => {
    if (data[i] === 0x2d) {
      i++;
      if (!isDigit(data[i])) fail('in numeric literal');
    }
    if (data[i] === 0x30) i++;
    else while (isDigit(data[i])) i++;
    if (data[i] === 0x2e) {
      i++;
      if (!isDigit(data[i])) fail('after decimal point in numeric literal');
      while (isDigit(data[i])) i++;
    }
    if (data[i] === 0x65 || data[i] === 0x45) {
      i++;
      if (data[i] === 0x2b || data[i] === 0x2d) i++;
      if (!isDigit(data[i])) fail('in exponent of numeric literal');
      while (isDigit(data[i])) i++;
    }
  };

  // Object keys: a string and a colon, the value follows.
  const key = (): void => {
    skipSpace();
    if (data[i] !== 0x22) fail('looking for beginning of object key string');
    string();
    skipSpace();
    if (data[i] !== 0x3a) fail('after object key');
    i++;
  };

  // Iterative, with the open objects and arrays on a stack as Go's scanner keeps them: a body nested
  // thousands deep must get Go's answer, not overflow the call stack.
  const value = (): void => {
    const open: number[] = [];
    for (;;) {
      skipSpace();
      const c = data[i];
      let done = true;
      if (c === 0x7b || c === 0x5b) {
        if (open.length === maxDepth) fail('exceeded max depth');
        open.push(c);
        i++;
        skipSpace();
        if (data[i] === c + 2) {
          open.pop();
          i++;
        } else {
          if (c === 0x7b) key();
          done = false;
        }
      } else if (c === 0x22) string();
      else if (c === 0x2d || isDigit(c)) number();
      else if (c === 0x74) literal('true');
      else if (c === 0x66) literal('false');
      else if (c === 0x6e) literal('null');
      else fail('looking for beginning of value');
      // After a value: close what ends here, or go on to the next element.
      while (done && open.length > 0) {
        skipSpace();
        const inObject = open[open.length - 1] === 0x7b;
        if (data[i] === 0x2c) {
          i++;
          if (inObject) key();
          done = false;
        } else if (data[i] === (inObject ? 0x7d : 0x5d)) {
          open.pop();
          i++;
        } else fail(inObject ? 'after object key:value pair' : 'after array element');
      }
      if (done) return;
    }
  };

  try {
    value();
    skipSpace();
    if (i < data.length) fail('after top-level value');
    return undefined;
  } catch (err) {
    if (err instanceof GoJsonSyntaxError) return err.message;
    throw err;
  }
}

/** The Go type name encoding/json reports for a JSON value that is not an object. */
export function goJsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return 'object';
}
