import { KubeObject } from '@skiff/api-machinery';
import { isReady } from './cluster';

const obj = (kind: string, rest: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name: 'x', generation: 2 },
  ...rest,
});

describe('isReady (what helm --wait waits for)', () => {
  it('wants a Pod Ready or Succeeded', () => {
    expect(
      isReady(obj('Pod', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }), false),
    ).toBe(false);
    expect(
      isReady(obj('Pod', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }), false),
    ).toBe(true);
    expect(isReady(obj('Pod', { status: { phase: 'Succeeded' } }), false)).toBe(true);
  });

  it('wants a Deployment rolled out at its current generation: every replica updated and available, no old one', () => {
    const dep = (status: Record<string, unknown>) => obj('Deployment', { spec: { replicas: 2 }, status });
    const done = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
    expect(isReady(dep({ ...done, observedGeneration: 1 }), false)).toBe(false);
    expect(isReady(dep({ ...done, updatedReplicas: 1 }), false)).toBe(false);
    expect(isReady(dep({ ...done, availableReplicas: 1 }), false)).toBe(false);
    // A new pod that cannot start beside the old one still serving: ready replicas are enough, the rollout is not.
    expect(isReady(dep({ ...done, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), false)).toBe(false);
    expect(isReady(dep(done), false)).toBe(true);
  });

  it('wants a StatefulSet on its update revision', () => {
    const sts = (status: Record<string, unknown>) => obj('StatefulSet', { spec: { replicas: 1 }, status });
    const done = { observedGeneration: 2, updatedReplicas: 1, readyReplicas: 1, updateRevision: 'b' };
    expect(isReady(sts({ ...done, currentRevision: 'a' }), false)).toBe(false);
    expect(isReady(sts({ ...done, currentRevision: 'b' }), false)).toBe(true);
  });

  it('wants a Service addressed, a load balancer with an ingress, a claim Bound, a Job complete only when asked', () => {
    expect(isReady(obj('Service', { spec: { clusterIP: '10.96.0.9' } }), false)).toBe(true);
    expect(isReady(obj('Service', { spec: {} }), false)).toBe(false);
    expect(isReady(obj('Service', { spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9' } }), false)).toBe(false);
    expect(
      isReady(
        obj('Service', {
          spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9' },
          status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
        }),
        false,
      ),
    ).toBe(true);
    expect(isReady(obj('PersistentVolumeClaim', { status: { phase: 'Pending' } }), false)).toBe(false);
    expect(isReady(obj('PersistentVolumeClaim', { status: { phase: 'Bound' } }), false)).toBe(true);
    expect(isReady(obj('Job', { status: {} }), false)).toBe(true);
    expect(isReady(obj('Job', { status: {} }), true)).toBe(false);
    expect(isReady(obj('Job', { status: { conditions: [{ type: 'Complete', status: 'True' }] } }), true)).toBe(true);
    expect(isReady(obj('ConfigMap'), true)).toBe(true);
  });
});
