import { KubeObject } from '@skiff/api-machinery';
import {
  aggregateMessage,
  claimLimitRangeViolations,
  podLimitRangeViolations,
  withLimitRangeDefaults,
} from './limit-ranger';

const range = (limits: Record<string, unknown>[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name: 'limits', namespace: 'ns' },
  spec: { limits },
});

const pod = (containers: Record<string, unknown>[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers },
});

describe(withLimitRangeDefaults.name, () => {
  it('fills in what containers leave out and says so in the annotation', () => {
    const ranges = [
      range([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } }]),
    ];
    const out = withLimitRangeDefaults(
      pod([
        { name: 'app', image: 'busybox' },
        { name: 'side', image: 'busybox', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } },
      ]),
      ranges,
    );
    const containers = (out.spec as { containers: { resources: unknown }[] }).containers;
    expect(containers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '256Mi' },
      requests: { cpu: '100m', memory: '256Mi' },
    });
    expect(containers[1].resources).toEqual({
      limits: { cpu: '1', memory: '256Mi' },
      requests: { cpu: '1', memory: '256Mi' },
    });
    expect(out.metadata.annotations?.['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for container side; memory limit for container side',
    );
  });

  it('takes the default limit from max when no default is given', () => {
    const out = withLimitRangeDefaults(pod([{ name: 'app' }]), [range([{ type: 'Container', max: { cpu: '2' } }])]);
    expect((out.spec as { containers: { resources: unknown }[] }).containers[0].resources).toEqual({
      limits: { cpu: '2' },
      requests: { cpu: '2' },
    });
  });
});

describe(podLimitRangeViolations.name, () => {
  it("words container bounds as upstream's LimitRanger", () => {
    const ranges = [
      range([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } }]),
    ];
    const errs = podLimitRangeViolations(
      pod([
        { name: 'app', resources: { limits: { cpu: '2', memory: '32Mi' }, requests: { cpu: '500m', memory: '32Mi' } } },
      ]),
      ranges,
    );
    expect(errs).toEqual([
      'minimum memory usage per Container is 64Mi, but request is 32Mi',
      'maximum cpu usage per Container is 1, but limit is 2',
      'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    ]);
    expect(aggregateMessage(errs.slice(1, 2))).toBe('maximum cpu usage per Container is 1, but limit is 2');
    expect(aggregateMessage(errs.slice(0, 2))).toBe(
      '[minimum memory usage per Container is 64Mi, but request is 32Mi, maximum cpu usage per Container is 1, but limit is 2]',
    );
  });

  it('bounds the pod as a whole', () => {
    const two = pod([
      { name: 'a', resources: { limits: { cpu: '600m' } } },
      { name: 'b', resources: { limits: { cpu: '600m' } } },
    ]);
    expect(podLimitRangeViolations(two, [range([{ type: 'Pod', max: { cpu: '1' } }])])).toEqual([
      'maximum cpu usage per Pod is 1, but limit is 1200m',
    ]);
    expect(podLimitRangeViolations(pod([{ name: 'a' }]), [range([{ type: 'Container', max: { cpu: '1' } }])])).toEqual([
      'maximum cpu usage per Container is 1.  No limit is specified',
    ]);
  });
});

describe(claimLimitRangeViolations.name, () => {
  it('bounds what a claim requests', () => {
    const claim = (storage: string): KubeObject => ({
      metadata: { name: 'c' },
      spec: { resources: { requests: { storage } } },
    });
    const ranges = [range([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }])];
    expect(claimLimitRangeViolations(claim('500Mi'), ranges)).toEqual([
      'minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi',
    ]);
    expect(claimLimitRangeViolations(claim('20Gi'), ranges)).toEqual([
      'maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi',
    ]);
    expect(claimLimitRangeViolations(claim('5Gi'), ranges)).toEqual([]);
  });
});
