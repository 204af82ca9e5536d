import { JsonValue } from '../meta/object';
import { applyJsonMergePatch } from './json-merge-patch';

describe(applyJsonMergePatch.name, () => {
  // RFC 7386 appendix A.
  const cases: Array<[JsonValue, JsonValue, JsonValue]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('merges %j with %j', (target, patch, expected) => {
    expect(applyJsonMergePatch(target, patch)).toEqual(expected);
  });

  it('creates from nothing', () => {
    expect(applyJsonMergePatch(undefined, { spec: { replicas: 3, x: null } })).toEqual({ spec: { replicas: 3 } });
  });

  it('applies kubectl scale to a Deployment without touching the input', () => {
    const live = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }] } } } };
    const before = structuredClone(live);
    const out = applyJsonMergePatch(live, { spec: { replicas: 3 } }) as typeof live;
    expect(out.spec.replicas).toBe(3);
    expect(live).toEqual(before);
    out.spec.template.spec.containers[0].name = 'changed';
    expect(live).toEqual(before);
  });

  it('applies kubectl label / annotate (null removes)', () => {
    const live = { metadata: { labels: { app: 'web', tier: 'fe' } } };
    expect(applyJsonMergePatch(live, { metadata: { labels: { tier: null, env: 'prod' } } })).toEqual({
      metadata: { labels: { app: 'web', env: 'prod' } },
    });
  });
});
