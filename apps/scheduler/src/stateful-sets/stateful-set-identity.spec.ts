import { KubeObject } from '@skiff/api-machinery';
import type { Pod, Volume } from '@skiff/kube-types';
import {
  claimIsStale,
  claimOwnersUpToDate,
  identityMatches,
  parentAndOrdinal,
  storageMatches,
  wantedClaimOwners,
} from './stateful-set-identity';
import { statefulSet } from './stateful-set.fixture';

const pod = (name: string, uid?: string, labels: Record<string, string> = {}, volumes: Volume[] = []): Pod => ({
  metadata: { name, namespace: 'default', ...(uid ? { uid } : {}), labels },
  spec: { containers: [], volumes },
});
const claim = (
  ownerReferences: KubeObject['metadata']['ownerReferences'] = [],
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject => ({ metadata: { name: 'data-web-1', namespace: 'default', uid: 'c1', ownerReferences, ...extra } });
const setRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'uid-web' };
const podRef = { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'p1' };

describe('StatefulSet identity', () => {
  it('reads the parent and ordinal from a pod name', () => {
    expect(parentAndOrdinal(pod('my-web-12'))).toEqual({ parent: 'my-web', ordinal: 12 });
    expect(parentAndOrdinal(pod('web'))).toEqual({ parent: '', ordinal: -1 });
    expect(parentAndOrdinal(pod('web-99999999999'))).toEqual({ parent: 'web', ordinal: -1 });
  });

  it('checks identity labels and claim volumes', () => {
    const set = statefulSet({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] });
    const good = pod(
      'web-1',
      'p1',
      { 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' },
      [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }],
    );
    expect(identityMatches(set, good)).toBe(true);
    expect(storageMatches(set, good)).toBe(true);
    expect(identityMatches(set, pod('web-1', 'p1', { 'statefulset.kubernetes.io/pod-name': 'web-1' }))).toBe(false);
    expect(identityMatches(statefulSet({}, 'db'), good)).toBe(false);
    expect(storageMatches(set, pod('web-1', 'p1', {}, [{ name: 'data', emptyDir: {} }]))).toBe(false);
  });

  describe('claim owners under persistentVolumeClaimRetentionPolicy', () => {
    const policy = (whenDeleted: string, whenScaled: string, replicas = 2) =>
      statefulSet({ replicas, persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } });
    const member = pod('web-1', 'p1');

    it.each([
      ['Retain', 'Retain', 2, []],
      ['Delete', 'Retain', 2, [setRef]],
      ['Delete', 'Retain', 1, [setRef]],
      ['Retain', 'Delete', 2, []],
      ['Retain', 'Delete', 1, [podRef]],
      ['Delete', 'Delete', 2, [setRef]],
      ['Delete', 'Delete', 1, [podRef]],
    ])('whenDeleted=%s whenScaled=%s replicas=%d → %j', (whenDeleted, whenScaled, replicas, want) => {
      const set = policy(whenDeleted as string, whenScaled as string, replicas as number);
      expect(wantedClaimOwners(claim(), set, member)).toEqual(want);
      expect(claimOwnersUpToDate(claim(want as never), set, member)).toBe(true);
      expect(claimOwnersUpToDate(claim([setRef, podRef]), set, member)).toBe(false);
    });

    it('keeps owners that are neither the set nor the pod, and leaves a claim with its own controller alone', () => {
      const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'x1' };
      expect(wantedClaimOwners(claim([other]), policy('Delete', 'Retain'), member)).toEqual([other, setRef]);
      const foreign = { ...other, controller: true };
      expect(wantedClaimOwners(claim([foreign]), policy('Delete', 'Retain'), member)).toBeUndefined();
      expect(claimOwnersUpToDate(claim([foreign]), policy('Delete', 'Retain'), member)).toBe(true);
    });
  });

  it('calls a claim stale when an earlier pod of the ordinal still owns it, or it is being deleted', () => {
    const newPod = pod('web-1');
    expect(claimIsStale(claim([podRef]), newPod)).toBe(true);
    expect(claimIsStale(claim([podRef]), pod('web-1', 'p1'))).toBe(false);
    expect(claimIsStale(claim([setRef]), newPod)).toBe(false);
    expect(claimIsStale(claim([], { deletionTimestamp: '2025-01-01T00:00:00Z' }), newPod)).toBe(true);
  });
});
