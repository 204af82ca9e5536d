import { ApiError } from '@skiff/api-machinery';
import { decodeBody, decodeObject, MAX_BODY_DEPTH } from './body';

const ALIAS_BOMB = [
  'a: &a [x,x,x,x,x,x,x,x]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
].join('\n');

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('request bodies', () => {
  it('refuses a YAML alias bomb as a decoding error (400), as go-yaml does', () => {
    const object = refusal(() => decodeObject(Buffer.from(ALIAS_BOMB), 'application/yaml', 'ConfigMap'));
    expect([object.code, object.message]).toEqual([
      400,
      'the object provided is unrecognized (must be of type ConfigMap): error converting YAML to JSON: yaml: document contains excessive aliasing (613a202661205b782c782c782c782c782c782c782c785d0a623a20266220 ...)',
    ]);
    const patch = refusal(() => decodeBody(Buffer.from(ALIAS_BOMB), 'application/apply-patch+yaml'));
    expect([patch.code, patch.message]).toEqual([
      400,
      'error converting YAML to JSON: yaml: document contains excessive aliasing',
    ]);
  });

  it("refuses JSON nested deeper than the gateway follows with the decoder's words (400)", () => {
    const deep = (n: number): Buffer => Buffer.from(`{"data":{"k":${'['.repeat(n)}${']'.repeat(n)}}}`);
    const err = refusal(() => decodeBody(deep(MAX_BODY_DEPTH), 'application/merge-patch+json'));
    expect([err.code, err.message]).toEqual([400, "invalid character '[' exceeded max depth"]);
    expect(decodeBody(deep(MAX_BODY_DEPTH - 2), 'application/merge-patch+json')).toMatchObject({ data: {} });
  });

  it('refuses an alias to no anchor as go-yaml does (400)', () => {
    const err = refusal(() => decodeBody(Buffer.from('metadata: *undefined\n'), 'application/yaml'));
    expect([err.code, err.message]).toEqual([
      400,
      "error converting YAML to JSON: yaml: unknown anchor 'undefined' referenced",
    ]);
  });

  it('still reads a YAML document with a few aliases', () => {
    expect(decodeBody(Buffer.from('a: &a [x]\nb: *a\n'), 'application/yaml')).toEqual({ a: ['x'], b: ['x'] });
  });
});
