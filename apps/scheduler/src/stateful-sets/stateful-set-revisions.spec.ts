import type { StatefulSet } from '@skiff/kube-types';
import {
  newRevision,
  revisionData,
  revisionNumber,
  revisionsToPrune,
  revisionTemplate,
  sortRevisions,
  syncRevisions,
} from './stateful-set-revisions';
import { FakeNamespace, statefulSet, withImage } from './stateful-set.fixture';

describe('StatefulSet revisions', () => {
  let ns: FakeNamespace;
  beforeEach(() => (ns = new FakeNamespace()));

  const sync = async (set: StatefulSet) => {
    const r = await syncRevisions(set, sortRevisions(ns.revisionList()), ns);
    set.status = {
      replicas: 0,
      ...set.status,
      currentRevision: r.current.metadata.name,
      updateRevision: r.update.metadata.name,
      collisionCount: r.collisionCount,
    };
    return r;
  };

  it('stores the template as a strategic merge patch that kubectl rollout undo can apply', () => {
    const set = statefulSet({}, 'web');
    const rev = newRevision(set, 1, 0);
    expect(rev.data).toEqual({
      spec: {
        template: {
          $patch: 'replace',
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ image: 'busybox:1.36', name: 'c' }] },
        },
      },
    });
    expect(rev.metadata).toMatchObject({
      labels: { app: 'web', 'controller.kubernetes.io/hash': expect.any(String) },
      ownerReferences: [expect.objectContaining({ kind: 'StatefulSet', name: 'web', controller: true })],
    });
    expect(rev.metadata.name).toBe(`web-${rev.metadata.labels!['controller.kubernetes.io/hash']}`);
    expect(revisionTemplate(rev)).toEqual((set.spec as { template: unknown }).template);
  });

  it('gives equal templates equal names whatever their key order, and different ones different names', () => {
    const a = statefulSet({
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    });
    const b = statefulSet({
      template: { spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { app: 'web' } } },
    });
    expect(newRevision(a, 1, 0).metadata.name).toBe(newRevision(b, 7, 0).metadata.name);
    expect(newRevision(a, 1, 0).metadata.name).not.toBe(newRevision(withImage(a, 'y'), 1, 0).metadata.name);
    expect(newRevision(a, 1, 0).metadata.name).not.toBe(newRevision(a, 1, 1).metadata.name);
  });

  it('copies the set annotations (change-cause) onto new revisions', () => {
    const set = statefulSet();
    set.metadata.annotations = { 'kubernetes.io/change-cause': 'kubectl set image' };
    expect(newRevision(set, 1, 0).metadata.annotations).toEqual({ 'kubernetes.io/change-cause': 'kubectl set image' });
  });

  it('keeps the revision while the template is unchanged, adds one per change, and renumbers on a rollback', async () => {
    let set = statefulSet();
    const first = await sync(set);
    expect(first.current).toBe(first.update);
    expect((await sync(set)).update.metadata.name).toBe(first.update.metadata.name);
    set = { ...withImage(set, 'busybox:latest'), status: set.status };
    const second = await sync(set);
    expect(revisionNumber(second.update)).toBe(2);
    expect(second.current.metadata.name).toBe(first.update.metadata.name);
    // Back to the first template: its revision is brought forward as number 3, nothing new is created.
    set = { ...withImage(set, 'busybox:1.36'), status: set.status };
    ns.takeLog();
    const third = await sync(set);
    expect(ns.takeLog()).toEqual(['renumber revision 1 to 3']);
    expect(third.update.metadata.name).toBe(first.update.metadata.name);
    expect(sortRevisions(ns.revisionList()).map(revisionNumber)).toEqual([2, 3]);
  });

  it('steps collisionCount when the name is taken by a revision with other data', async () => {
    const set = statefulSet();
    const wanted = newRevision(set, 1, 0);
    // Someone else's revision under the name this template hashes to.
    ns.revisions.set(wanted.metadata.name!, { ...wanted, data: { spec: { template: { other: true } } }, revision: 0 });
    const r = await syncRevisions(set, [], ns);
    expect(r.collisionCount).toBe(1);
    expect(r.update.metadata.name).toBe(newRevision(set, 1, 1).metadata.name);
  });

  it('prunes the oldest revisions beyond the limit, never live ones', () => {
    const revs = [1, 2, 3, 4, 5].map((n) => ({ ...newRevision(withImage(statefulSet(), `i${n}`), n, 0) }));
    const names = revs.map((r) => r.metadata.name!);
    const live = new Set([names[0], names[4]]);
    expect(revisionsToPrune(revs, live, 1).map(revisionNumber)).toEqual([2, 3]);
    expect(revisionsToPrune(revs, live, 3)).toEqual([]);
    expect(revisionsToPrune(revs, new Set(), 0).map(revisionNumber)).toEqual([1, 2, 3, 4, 5]);
  });

  it('builds its data from the template only', () => {
    const set = statefulSet({ replicas: 9 });
    expect(Object.keys(revisionData(set))).toEqual(['spec']);
    expect(Object.keys((revisionData(set) as { spec: object }).spec)).toEqual(['template']);
  });
});
