import { KubeObject } from '../meta/object';
import {
  chargeQuotas,
  objectUsage,
  podComputeUsage,
  QuotaExceededError,
  quotaResourcesOf,
  quotaStatus,
  usageToList,
} from './resource-quota';

const NOW = new Date('2026-01-01T00:00:00Z');
const PODS = { group: '', resource: 'pods' };
const SERVICES = { group: '', resource: 'services' };
const CLAIMS = { group: '', resource: 'persistentvolumeclaims' };

function pod(name: string, resources: Record<string, unknown>[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: {
      containers: resources.map((r, i) => ({ name: i === 0 ? 'app' : `c${i}`, image: 'busybox', resources: r })),
      ...extra,
    },
  };
}

function quota(
  name: string,
  hard: Record<string, string>,
  used?: Record<string, string>,
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, namespace: 'ns' },
    spec: { hard, ...spec },
    status: { hard, used: used ?? Object.fromEntries(Object.keys(hard).map((k) => [k, '0'])) },
  };
}

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof QuotaExceededError) return err.message;
    throw err;
  }
  throw new Error('no refusal');
};

describe('quota usage', () => {
  it('sums containers, keeps the largest init container, and counts plain cpu/memory as requests', () => {
    const p = pod('p', [
      { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } },
      { requests: { cpu: '200m', memory: '64Mi' } },
    ]);
    (p.spec as { initContainers: unknown[] }).initContainers = [
      { name: 'init', resources: { requests: { cpu: '1' } } },
    ];
    expect(usageToList(podComputeUsage(p))).toEqual({
      cpu: '1',
      'limits.cpu': '200m',
      memory: '128Mi',
      'requests.cpu': '1',
      'requests.memory': '128Mi',
    });
  });

  it('counts nothing for a terminal pod, and LoadBalancer services with their node ports', () => {
    const done = { ...pod('p', [{ requests: { cpu: '1' } }]), status: { phase: 'Succeeded' } };
    expect(objectUsage(PODS, done, NOW).size).toBe(0);
    const lb: KubeObject = {
      metadata: { name: 's' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] },
    };
    expect(usageToList(objectUsage(SERVICES, lb, NOW))).toEqual({
      'count/services': '1',
      services: '1',
      'services.loadbalancers': '1',
      'services.nodeports': '2',
    });
  });

  it('charges a claim to its storage class', () => {
    const claim: KubeObject = {
      metadata: { name: 'c' },
      spec: { storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } },
    };
    expect(usageToList(objectUsage(CLAIMS, claim, NOW))).toMatchObject({
      'requests.storage': '5Gi',
      'fast.storageclass.storage.k8s.io/requests.storage': '5Gi',
      'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    });
  });
});

describe(chargeQuotas.name, () => {
  it("refuses with upstream's exceeded-quota message", () => {
    const q = quota('compute', { 'requests.cpu': '2' }, { 'requests.cpu': '1' });
    expect(message(() => chargeQuotas([q], PODS, pod('p', [{ requests: { cpu: '2' } }]), undefined, NOW))).toBe(
      'exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=1, limited: requests.cpu=2',
    );
  });

  it('names every container that leaves out a constrained resource', () => {
    const q = quota('compute', { 'limits.cpu': '4', 'requests.memory': '1Gi' });
    const p = pod('p', [{ requests: { cpu: '1' } }, { limits: { cpu: '1' } }]);
    expect(message(() => chargeQuotas([q], PODS, p, undefined, NOW))).toBe(
      'failed quota: compute: must specify limits.cpu for: app; requests.memory for: app,c1',
    );
  });

  it('raises status.used of every matching quota and leaves the others', () => {
    const compute = quota('compute', { 'requests.cpu': '2', pods: '3' }, { 'requests.cpu': '500m', pods: '1' });
    const counts = quota('counts', { configmaps: '5' });
    const charged = chargeQuotas([counts, compute], PODS, pod('p', [{ requests: { cpu: '250m' } }]), undefined, NOW);
    expect(charged.map((q) => [q.metadata.name, (q.status as { used: unknown }).used])).toEqual([
      ['compute', { pods: '2', 'requests.cpu': '750m' }],
    ]);
  });

  it('applies scoped quotas only to the pods their scopes select', () => {
    const bestEffort = quota('be', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] });
    expect(chargeQuotas([bestEffort], PODS, pod('p', [{ requests: { cpu: '1' } }]), undefined, NOW)).toEqual([]);
    expect(message(() => chargeQuotas([bestEffort], PODS, pod('p', [{}]), undefined, NOW))).toBe(
      'exceeded quota: be, requested: pods=1, used: pods=0, limited: pods=0',
    );
    const high = quota(
      'high',
      { pods: '1' },
      { pods: '1' },
      {
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
      },
    );
    expect(chargeQuotas([high], PODS, pod('p', [{}]), undefined, NOW)).toEqual([]);
    expect(() => chargeQuotas([high], PODS, pod('p', [{}], { priorityClassName: 'high' }), undefined, NOW)).toThrow(
      QuotaExceededError,
    );
  });

  it('counts objects by count/<resource>.<group> and refuses a quota whose status is not yet known', () => {
    const q = quota('objects', { 'count/deployments.apps': '1' }, { 'count/deployments.apps': '1' });
    expect(
      message(() =>
        chargeQuotas([q], { group: 'apps', resource: 'deployments' }, { metadata: { name: 'd' } }, undefined, NOW),
      ),
    ).toBe(
      'exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
    );
    const unknown = { ...quota('objects', { secrets: '1' }), status: { hard: { secrets: '1' } } };
    expect(
      message(() =>
        chargeQuotas([unknown], { group: '', resource: 'secrets' }, { metadata: { name: 's' } }, undefined, NOW),
      ),
    ).toBe('status unknown for quota: objects, resource: secrets');
  });

  it('charges an update only for what it adds (a claim that grows)', () => {
    const q = quota('storage', { 'requests.storage': '10Gi' }, { 'requests.storage': '8Gi' });
    const claim = (size: string): KubeObject => ({
      metadata: { name: 'c' },
      spec: { resources: { requests: { storage: size } } },
    });
    expect(message(() => chargeQuotas([q], CLAIMS, claim('11Gi'), claim('8Gi'), NOW))).toBe(
      'exceeded quota: storage, requested: requests.storage=3Gi, used: requests.storage=8Gi, limited: requests.storage=10Gi',
    );
    expect((chargeQuotas([q], CLAIMS, claim('9Gi'), claim('8Gi'), NOW)[0].status as { used: unknown }).used).toEqual({
      'requests.storage': '9Gi',
    });
  });
});

describe(quotaStatus.name, () => {
  it('sums what the quota matches, without terminal pods, and reports every hard resource', () => {
    const q = quota('compute', { 'requests.cpu': '4', pods: '10', secrets: '3' });
    const pods = [
      pod('a', [{ requests: { cpu: '1' } }]),
      pod('b', [{ requests: { cpu: '500m' } }]),
      { ...pod('c', [{ requests: { cpu: '2' } }]), status: { phase: 'Failed' } },
    ];
    expect(
      quotaResourcesOf(['requests.cpu', 'pods', 'secrets'])
        .map((r) => r.resource)
        .sort(),
    ).toEqual(['pods', 'secrets']);
    const status = quotaStatus(q, (r) => (r.resource === 'pods' ? pods : []), NOW);
    expect(status).toEqual({
      hard: { pods: '10', 'requests.cpu': '4', secrets: '3' },
      used: { pods: '2', 'requests.cpu': '1500m', secrets: '0' },
    });
  });
});
