import { SandboxHostRecord } from '@skiff/messaging';
import { chooseHost, HostLoad } from './host-placement';
import { eciSpecOf, formatInstanceSpec, podRequests } from './pod-resources';
import type { Pod, PodSpec } from '@skiff/kube-types';

const GiB = 1024 ** 3;

function host(hostId: string, zone = 'zone-a', cpuMilli = 2000, memoryBytes = 4 * GiB, pods = 10): SandboxHostRecord {
  return {
    hostId,
    zone,
    endpoint: 'https://127.0.0.1:1',
    hostIP: '10.244.0.1',
    capacity: { cpuMilli, memoryBytes, pods },
    runtimeHandlers: ['runc', 'runsc'],
    heartbeatAt: '',
  };
}

const load = (h: SandboxHostRecord, cpuMilli = 0, memoryBytes = 0, pods = 0): HostLoad => ({
  host: h,
  used: { cpuMilli, memoryBytes },
  pods,
});

describe('chooseHost', () => {
  it('prefers the least loaded host that fits', () => {
    const out = chooseHost(
      [load(host('a'), 1500), load(host('b'), 500)],
      { cpuMilli: 500, memoryBytes: GiB },
      undefined,
      'runc',
    );
    expect(out).toEqual({ host: expect.objectContaining({ hostId: 'b' }) });
  });

  it('explains why nothing fits, in upstream wording', () => {
    const out = chooseHost(
      [load(host('a'), 1800), load(host('b', 'zone-a', 2000, 4 * GiB, 1), 0, 0, 1)],
      { cpuMilli: 500, memoryBytes: 0 },
      undefined,
      'runc',
    );
    expect(out).toEqual({ reason: '0/2 sandbox hosts are available: 1 Insufficient cpu, 1 Too many pods.' });
  });

  it('honours zones and runtime handlers', () => {
    expect(
      chooseHost(
        [load(host('a', 'zone-a')), load(host('b', 'zone-b'))],
        { cpuMilli: 0, memoryBytes: 0 },
        ['zone-b'],
        'runc',
      ),
    ).toEqual({ host: expect.objectContaining({ hostId: 'b' }) });
    expect(chooseHost([load(host('a'))], { cpuMilli: 0, memoryBytes: 0 }, undefined, 'kata')).toEqual({
      reason: '0/1 sandbox hosts are available: 1 no runtime handler kata.',
    });
    expect(chooseHost([], { cpuMilli: 0, memoryBytes: 0 }, undefined, 'runc')).toEqual({
      reason: 'no sandbox hosts are registered',
    });
  });
});

describe('podRequests', () => {
  const pod = (spec: PodSpec, annotations?: Record<string, string>): Pod => ({
    metadata: { name: 'p', annotations },
    spec,
  });

  it('sums container requests, falls back to limits, and takes the largest init container', () => {
    const p = pod({
      containers: [
        { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
        { name: 'b', resources: { limits: { cpu: '1', memory: '1Gi' } } },
      ],
      initContainers: [{ name: 'init', resources: { requests: { cpu: '2' } } }],
    });
    expect(podRequests(p)).toEqual({ cpuMilli: 2000, memoryBytes: 64 * 1024 ** 2 + GiB });
  });

  it('uses eci-use-specs when the pod asks for nothing', () => {
    const p = pod({ containers: [{ name: 'c' }] }, { 'k8s.aliyun.com/eci-use-specs': 'ecs.c6.large,2-4Gi' });
    expect(podRequests(p)).toEqual({ cpuMilli: 2000, memoryBytes: 4 * GiB });
    expect(eciSpecOf(pod({ containers: [] }, {}))).toBeUndefined();
    expect(formatInstanceSpec({ cpuMilli: 2000, memoryBytes: 4 * GiB })).toBe('2.0-4.0Gi');
  });
});
