import type { StatefulSet } from '@skiff/kube-types';
import { updateStatefulSet } from './stateful-set-control';
import { POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL } from './stateful-set-identity';
import { sortRevisions, syncRevisions } from './stateful-set-revisions';
import { statefulSetSpec } from './stateful-set-spec';
import { completeRollingUpdate, StatefulSetStatusView } from './stateful-set-status';
import { FakeNamespace, statefulSet, withImage } from './stateful-set.fixture';

const NOW = Date.parse('2025-01-01T00:00:00Z');

/** One reconcile: revisions, the control pass, and the status it would write. */
async function sync(ns: FakeNamespace, set: StatefulSet, now = NOW): Promise<StatefulSetStatusView> {
  const revisions = await syncRevisions(set, sortRevisions(ns.revisionList()), ns);
  const { status, error } = await updateStatefulSet(set, revisions, ns.podList(), ns, now);
  if (error) throw error;
  completeRollingUpdate(status, !statefulSetSpec(set).onDelete);
  set.status = { ...status };
  return status;
}

/** Syncs until nothing more is written, marking every new pod Running and Ready in between (a kubelet). */
async function settle(ns: FakeNamespace, set: StatefulSet): Promise<string[]> {
  const all: string[] = [];
  for (let i = 0; i < 50; i++) {
    await sync(ns, set);
    for (const pod of ns.podList())
      if ((pod.status as { phase?: string }).phase === 'Pending') ns.markReady(pod.metadata.name!);
    const log = ns.takeLog();
    if (log.length === 0) return all;
    all.push(...log);
  }
  throw new Error('did not settle');
}

describe('updateStatefulSet', () => {
  let ns: FakeNamespace;
  beforeEach(() => (ns = new FakeNamespace()));

  it('creates pods with stable identities: names, labels, hostname, subdomain, claim volumes', async () => {
    const set = statefulSet({
      replicas: 1,
      volumeClaimTemplates: [
        { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'] } },
      ],
    });
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 1', 'create claim data-web-0', 'create pod web-0']);
    const pod = ns.pods.get('web-0')!;
    const revision = ns.revisionList()[0].metadata.name!;
    expect(revision).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(pod.metadata.labels).toEqual({
      app: 'web',
      [POD_NAME_LABEL]: 'web-0',
      [POD_INDEX_LABEL]: '0',
      [REVISION_LABEL]: revision,
    });
    expect(pod.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'web',
        uid: 'uid-web',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.spec).toMatchObject({
      hostname: 'web-0',
      subdomain: 'nginx',
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }],
    });
    expect(ns.claims.get('data-web-0')!.metadata.labels).toEqual({ tier: 'db', app: 'web' });
  });

  it('starts ordinals at spec.ordinals.start', async () => {
    const set = statefulSet({ replicas: 2, ordinals: { start: 5 }, podManagementPolicy: 'Parallel' });
    await sync(ns, set);
    expect(ns.podList().map((p) => p.metadata.name)).toEqual(['web-5', 'web-6']);
  });

  it('OrderedReady: creates one pod at a time, each after its predecessor is Running and Ready', async () => {
    const set = statefulSet();
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 1', 'create pod web-0']);
    await sync(ns, set);
    expect(ns.takeLog()).toEqual([]); // web-0 Pending: wait
    ns.setPhase('web-0', 'Running'); // running but not ready: still wait
    await sync(ns, set);
    expect(ns.takeLog()).toEqual([]);
    ns.markReady('web-0');
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create pod web-1']);
    ns.markReady('web-1');
    const status = await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create pod web-2']);
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 2 });
  });

  it('OrderedReady with minReadySeconds waits until the predecessor is available', async () => {
    const set = statefulSet({ minReadySeconds: 30 });
    await sync(ns, set);
    ns.markReady('web-0', new Date(NOW - 10_000).toISOString());
    const status = await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 1', 'create pod web-0']);
    expect(status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    await sync(ns, set, NOW + 20_000);
    expect(ns.takeLog()).toEqual(['create pod web-1']);
  });

  it('Parallel: creates every missing pod in one pass', async () => {
    const set = statefulSet({ podManagementPolicy: 'Parallel' });
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 1', 'create pod web-0', 'create pod web-1', 'create pod web-2']);
  });

  it('scales down from the highest ordinal, one at a time, and halts while a pod is unhealthy', async () => {
    const set = statefulSet();
    await settle(ns, set);
    (set.spec as { replicas: number }).replicas = 1;
    ns.setPhase('web-0', 'Pending'); // unhealthy
    await sync(ns, set);
    expect(ns.takeLog()).toEqual([]);
    ns.markReady('web-0');
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['delete pod web-2']);
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['delete pod web-1']);
    expect(await sync(ns, set)).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });

  it('Parallel: scales down every condemned pod at once', async () => {
    const set = statefulSet({ podManagementPolicy: 'Parallel' });
    await settle(ns, set);
    (set.spec as { replicas: number }).replicas = 0;
    await sync(ns, set);
    expect(ns.takeLog().sort()).toEqual(['delete pod web-0', 'delete pod web-1', 'delete pod web-2']);
  });

  it('replaces a failed or deleted pod with one of the same name', async () => {
    const set = statefulSet();
    await settle(ns, set);
    ns.setPhase('web-1', 'Failed');
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['delete pod web-1']);
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create pod web-1']);
    ns.remove('web-2');
    ns.markReady('web-1');
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create pod web-2']);
  });

  it('rolls an update out from the highest ordinal down to the partition, one ready pod at a time', async () => {
    let set = statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } });
    await settle(ns, set);
    const rev1 = (set.status as StatefulSetStatusView).updateRevision;
    set = { ...withImage(set, 'busybox:latest'), status: set.status };
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 2', 'delete pod web-2']);
    const rev2 = (set.status as StatefulSetStatusView).updateRevision;
    expect(rev2).not.toBe(rev1);
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create pod web-2']);
    expect(ns.pods.get('web-2')!.metadata.labels![REVISION_LABEL]).toBe(rev2);
    expect((ns.pods.get('web-2')!.spec as { containers: { image: string }[] }).containers[0].image).toBe(
      'busybox:latest',
    );
    await sync(ns, set);
    expect(ns.takeLog()).toEqual([]); // web-2 not ready yet
    ns.markReady('web-2');
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['delete pod web-1']);
    await settle(ns, set);
    // web-0 is below the partition: it stays on the old revision, and so does currentRevision.
    expect(ns.pods.get('web-0')!.metadata.labels![REVISION_LABEL]).toBe(rev1);
    expect(set.status).toMatchObject({
      currentRevision: rev1,
      updateRevision: rev2,
      currentReplicas: 1,
      updatedReplicas: 2,
    });
    // Partition 0 finishes the rollout; the update revision becomes current.
    set = {
      ...set,
      spec: { ...set.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } },
    };
    expect(await settle(ns, set)).toEqual(['delete pod web-0', 'create pod web-0']);
    expect(set.status).toMatchObject({
      currentRevision: rev2,
      updateRevision: rev2,
      currentReplicas: 3,
      updatedReplicas: 3,
    });
  });

  it('recreates a missing pod below the partition at the current revision', async () => {
    let set = statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    await settle(ns, set);
    const rev1 = (set.status as StatefulSetStatusView).currentRevision;
    set = { ...withImage(set, 'busybox:latest'), status: set.status };
    await settle(ns, set);
    ns.remove('web-0');
    await settle(ns, set);
    expect(ns.podList().map((p) => p.metadata.labels![REVISION_LABEL] === rev1)).toEqual([true, true, false]);
  });

  it('maxUnavailable lets that many pods update at once', async () => {
    let set = statefulSet({
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } },
    });
    await settle(ns, set);
    set = { ...withImage(set, 'busybox:latest'), status: set.status };
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 2', 'delete pod web-2', 'delete pod web-1']);
  });

  it('OnDelete: leaves pods alone until they are deleted, then recreates them at the update revision', async () => {
    let set = statefulSet({ updateStrategy: { type: 'OnDelete' } });
    await settle(ns, set);
    const rev1 = (set.status as StatefulSetStatusView).currentRevision;
    set = { ...withImage(set, 'busybox:latest'), status: set.status };
    expect(await settle(ns, set)).toEqual(['create revision 2']);
    ns.remove('web-1');
    expect(await settle(ns, set)).toEqual(['create pod web-1']);
    const rev2 = (set.status as StatefulSetStatusView).updateRevision;
    expect(ns.podList().map((p) => p.metadata.labels![REVISION_LABEL])).toEqual([rev1, rev2, rev1]);
    expect(set.status).toMatchObject({ currentRevision: rev1, currentReplicas: 2, updatedReplicas: 1 });
  });

  it('gives claims the set as owner for whenDeleted=Delete, and the pod when whenScaled=Delete scales it away', async () => {
    const set = statefulSet({
      replicas: 2,
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
    });
    await settle(ns, set);
    expect(ns.claims.get('data-web-1')!.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'uid-web' },
    ]);
    const podUid = ns.pods.get('web-1')!.metadata.uid;
    (set.spec as { replicas: number }).replicas = 1;
    await sync(ns, set);
    expect(ns.takeLog()).toEqual(['own claim data-web-1 by Pod', 'delete pod web-1']);
    expect(ns.claims.get('data-web-1')!.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: podUid },
    ]);
    expect(ns.claims.get('data-web-0')!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'StatefulSet' }),
    ]);
  });

  it('keeps claims ownerless under Retain, and drops owners when the policy changes back', async () => {
    const set = statefulSet({
      replicas: 1,
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
    });
    await settle(ns, set);
    (set.spec as { persistentVolumeClaimRetentionPolicy: object }).persistentVolumeClaimRetentionPolicy = {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    };
    expect(await settle(ns, set)).toEqual(['own claim data-web-0 by nobody', 'update pod web-0']);
    expect(ns.claims.get('data-web-0')!.metadata.ownerReferences).toEqual([]);
  });

  it('only reports status for a set being deleted', async () => {
    const set = statefulSet();
    set.metadata.deletionTimestamp = new Date(NOW).toISOString();
    const status = await sync(ns, set);
    expect(ns.takeLog()).toEqual(['create revision 1']);
    expect(status).toMatchObject({ observedGeneration: 1, replicas: 0 });
  });
});
