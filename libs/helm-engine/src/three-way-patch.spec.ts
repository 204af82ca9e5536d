import { threeWayMergePatch } from './actions';

describe('threeWayMergePatch (an upgrade of one object)', () => {
  it('sets what the new manifest changed or the live object lost, removes what the new manifest dropped, keeps the rest', () => {
    const original = { spec: { replicas: 2, paused: false }, metadata: { labels: { a: '1', old: 'x' } } };
    const modified = { spec: { replicas: 3 }, metadata: { labels: { a: '1', b: '2' } } };
    const live = {
      spec: { replicas: 2, paused: false, strategy: { type: 'RollingUpdate' } },
      metadata: { labels: { a: '1', old: 'x', drift: 'by-hand' }, resourceVersion: '7' },
      status: { readyReplicas: 2 },
    };
    expect(threeWayMergePatch(original, modified, live)).toEqual({
      spec: { replicas: 3, paused: null },
      metadata: { labels: { b: '2', old: null } },
    });
  });

  it('replaces a list that differs as a whole, and is empty when nothing differs', () => {
    const containers = [{ name: 'web', image: 'busybox:1.36' }];
    expect(
      threeWayMergePatch(
        {},
        { spec: { containers } },
        { spec: { containers: [{ name: 'web', image: 'busybox:1.35' }] } },
      ),
    ).toEqual({ spec: { containers } });
    expect(
      threeWayMergePatch({ data: { a: '1' } }, { data: { a: '1' } }, { data: { a: '1' }, metadata: { uid: 'u' } }),
    ).toEqual({});
  });
});
