import type { Deployment, PodTemplateSpec } from '@skiff/kube-types';
import { newReplicaSet, podTemplateHash, sameTemplate } from './deployment-revisions';

const template: PodTemplateSpec = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
};

describe('deployment revisions', () => {
  it('hashes a template stably whatever the key order, and differently per collisionCount', () => {
    const reordered = { spec: { containers: [{ image: 'busybox', name: 'c' }] }, metadata: { labels: { app: 'web' } } };
    expect(podTemplateHash(template)).toBe(podTemplateHash(reordered));
    expect(podTemplateHash(template)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(podTemplateHash(template, 1)).not.toBe(podTemplateHash(template));
  });

  it('compares templates ignoring the hash label and null or empty fields', () => {
    const withHash: PodTemplateSpec = {
      metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [] },
    };
    // Go writes a template's zero creationTimestamp as null, which the type has no room for.
    Object.assign(withHash.metadata!, { creationTimestamp: null });
    expect(sameTemplate(template, withHash)).toBe(true);
    expect(sameTemplate(template, { ...template, spec: { containers: [{ name: 'c', image: 'nginx' }] } })).toBe(false);
  });

  it('builds a ReplicaSet owned by the Deployment, selecting its hash', () => {
    const d: Deployment = {
      metadata: {
        name: 'web',
        namespace: 'ns',
        uid: 'u1',
        annotations: { 'kubernetes.io/change-cause': 'why', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
    };
    const rs = newReplicaSet(d, 'h4sh', 2, 1, 1);
    expect(rs.metadata).toMatchObject({
      name: 'web-h4sh',
      labels: { app: 'web', 'pod-template-hash': 'h4sh' },
      annotations: {
        'kubernetes.io/change-cause': 'why',
        'deployment.kubernetes.io/revision': '2',
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
      },
      ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
    expect(rs.metadata.annotations).not.toHaveProperty('kubectl.kubernetes.io/last-applied-configuration');
    expect(rs.spec).toMatchObject({
      replicas: 1,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': 'h4sh' } },
    });
  });
});
