import type { Deployment } from '@skiff/kube-types';
import {
  newReplicasForRollingUpdate,
  oldScaleDownBudget,
  proportionalShares,
  resolveFenceposts,
  scaledValue,
} from './rollout-math';

const deployment = (
  replicas: number,
  rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string },
  type: 'Recreate' | 'RollingUpdate' = 'RollingUpdate',
): Deployment => ({
  metadata: {},
  spec: { replicas, selector: {}, template: {}, strategy: { type, rollingUpdate } },
});

describe('rollout arithmetic', () => {
  it('rounds maxSurge up and maxUnavailable down, defaulting both to 25%', () => {
    expect(resolveFenceposts(deployment(10))).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(resolveFenceposts(deployment(3, { maxSurge: '50%', maxUnavailable: '34%' }))).toEqual({
      maxSurge: 2,
      maxUnavailable: 1,
    });
    expect(resolveFenceposts(deployment(4, { maxSurge: 0, maxUnavailable: 0 }))).toEqual({
      maxSurge: 0,
      maxUnavailable: 1,
    });
    expect(resolveFenceposts(deployment(4, undefined, 'Recreate'))).toEqual({ maxSurge: 0, maxUnavailable: 0 });
    expect(scaledValue('0%', 10, true, '25%')).toBe(0);
  });

  it('grows the new ReplicaSet only up to replicas + maxSurge pods in all', () => {
    expect(
      newReplicasForRollingUpdate(3, 1, { spec: 0, available: 0 }, [
        { spec: 0, available: 0 },
        { spec: 3, available: 3 },
      ]),
    ).toBe(1);
    expect(
      newReplicasForRollingUpdate(3, 1, { spec: 1, available: 0 }, [
        { spec: 1, available: 0 },
        { spec: 3, available: 3 },
      ]),
    ).toBe(1);
    expect(
      newReplicasForRollingUpdate(3, 1, { spec: 1, available: 1 }, [
        { spec: 1, available: 1 },
        { spec: 2, available: 2 },
      ]),
    ).toBe(2);
    expect(
      newReplicasForRollingUpdate(3, 5, { spec: 0, available: 0 }, [
        { spec: 0, available: 0 },
        { spec: 3, available: 3 },
      ]),
    ).toBe(3);
  });

  it('lets old ReplicaSets shrink only while replicas - maxUnavailable stay available', () => {
    // 3 old available, 1 new not yet available, maxUnavailable 0: nothing may go.
    expect(
      oldScaleDownBudget(3, 0, { spec: 1, available: 0 }, [
        { spec: 1, available: 0 },
        { spec: 3, available: 3 },
      ]),
    ).toBe(0);
    // once the new pod is available one old may go.
    expect(
      oldScaleDownBudget(3, 0, { spec: 1, available: 1 }, [
        { spec: 1, available: 1 },
        { spec: 3, available: 3 },
      ]),
    ).toBe(1);
    expect(
      oldScaleDownBudget(4, 1, { spec: 1, available: 0 }, [
        { spec: 1, available: 0 },
        { spec: 4, available: 4 },
      ]),
    ).toBe(1);
  });

  it('shares a scale change in proportion, the remainder to the largest', () => {
    expect(proportionalShares([6, 4], 5)).toEqual([3, 2]);
    expect(proportionalShares([5, 2], 3)).toEqual([3, 0]);
    expect(proportionalShares([6, 4], -5)).toEqual([-3, -2]);
    expect(proportionalShares([1, 1], -2)).toEqual([-1, -1]);
    expect(proportionalShares([0, 0], 3)).toEqual([0, 0]);
  });
});
