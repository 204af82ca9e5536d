import { JsonValue } from '../meta/object';
import { ApiError } from '../meta/status';
import { applyJsonPatch } from './json-patch';

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe(applyJsonPatch.name, () => {
  const doc: JsonValue = {
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: { replicas: 1, 'a/b': 1, 'm~n': 2 },
  };

  it('adds, replaces and removes', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/metadata/labels/app' },
      { op: 'add', path: '/metadata/finalizers/-', value: 'c' },
      { op: 'add', path: '/metadata/finalizers/0', value: 'z' },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
    expect(out).toEqual({
      metadata: { name: 'web', labels: { tier: 'fe' }, finalizers: ['z', 'b', 'c'] },
      spec: { replicas: 3, 'a/b': 1, 'm~n': 2 },
    });
  });

  it('decodes ~0 and ~1 in pointers', () => {
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/spec/a~1b', value: 10 },
      { op: 'remove', path: '/spec/m~0n' },
    ]) as { spec: JsonValue };
    expect(out.spec).toEqual({ replicas: 1, 'a/b': 10 });
  });

  it('moves and copies', () => {
    const out = applyJsonPatch(doc, [
      { op: 'copy', from: '/metadata/labels', path: '/spec/selector' },
      { op: 'move', from: '/spec/replicas', path: '/spec/count' },
    ]) as { spec: JsonValue };
    expect(out.spec).toEqual({ 'a/b': 1, 'm~n': 2, selector: { app: 'web' }, count: 1 });
  });

  it('passes a matching test and replaces the whole document at ""', () => {
    expect(applyJsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 1 }])).toEqual(doc);
    expect(applyJsonPatch(doc, [{ op: 'replace', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
  });

  it('does not modify the input even when a later operation fails', () => {
    const before = structuredClone(doc);
    expect(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'test', path: '/spec/replicas', value: 1 },
      ]),
    ).toThrow(ApiError);
    expect(doc).toEqual(before);
  });

  it('answers 422 for a failing test, as kube-apiserver', () => {
    const err = failure(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 2 }]));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    expect(err.details?.causes?.[0].message).toBe('testing value /spec/replicas failed: test failed');
  });

  it.each([
    [{ op: 'remove', path: '/spec/missing' }],
    [{ op: 'replace', path: '/spec/missing', value: 1 }],
    [{ op: 'add', path: '/nope/deeper', value: 1 }],
    [{ op: 'add', path: '/metadata/finalizers/7', value: 'x' }],
    [{ op: 'move', from: '/nope', path: '/x' }],
    [{ op: 'frobnicate', path: '/x' }],
    [{ op: 'add', path: '/x' }],
    [{ path: '/x' }],
  ])('answers 422 for an operation that cannot apply: %j', (op) => {
    expect(failure(() => applyJsonPatch(doc, [op])).code).toBe(422);
  });

  it.each([[{ op: 'add' }], ['nonsense'], [[1]], [null]])(
    'answers 400 for a document that is not a list of operations: %j',
    (ops) => {
      const err = failure(() => applyJsonPatch(doc, ops));
      expect(err.code).toBe(400);
      expect(err.reason).toBe('BadRequest');
    },
  );

  it('answers 413 beyond 10000 operations', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 }));
    expect(failure(() => applyJsonPatch(doc, ops)).code).toBe(413);
  });
});
