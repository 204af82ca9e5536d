import { goJsonSyntaxError } from './go-json';

const check = (text: string): string | undefined => goJsonSyntaxError(Buffer.from(text, 'utf8'));

describe('goJsonSyntaxError', () => {
  it('accepts valid JSON', () => {
    for (const ok of ['{}', ' [1, -2.5e+3, "a\\u00e9\\n", true, false, null] ', '{"a":{"b":[]}}', '0', '"x"'])
      expect(check(ok)).toBeUndefined();
  });

  it.each([
    ['apiVersion: v1', "invalid character 'a' looking for beginning of value"],
    ['', 'unexpected end of JSON input'],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":nul', 'unexpected end of JSON input'],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1e', 'unexpected end of JSON input'],
    ['"\\q"', "invalid character 'q' in string escape code"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
    ['{} {}', "invalid character '{' after top-level value"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['[{"a":[1,{"b":2}],"c":{}} ,]', "invalid character ']' looking for beginning of value"],
    ['{"a":[1}', "invalid character '}' after array element"],
  ])('words %j as Go does', (text, message) => {
    expect(check(text)).toBe(message);
  });

  it('takes nesting as deep as Go (10 000) and words one level more as Go does, without overflowing the stack', () => {
    const arrays = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    const objects = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    expect(check(arrays(10_000))).toBeUndefined();
    expect(check(objects(10_000))).toBeUndefined();
    expect(check(arrays(10_001))).toBe("invalid character '[' exceeded max depth");
    expect(check(objects(1_000_000))).toBe("invalid character '{' exceeded max depth");
    expect(check(`[${objects(9_999)}]`)).toBeUndefined();
    expect(goJsonSyntaxError(Buffer.from(arrays(513)), 512)).toBe("invalid character '[' exceeded max depth");
    expect(goJsonSyntaxError(Buffer.from(arrays(512)), 512)).toBeUndefined();
  });
});
