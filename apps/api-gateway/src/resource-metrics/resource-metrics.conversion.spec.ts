import { KubeObject } from '@skiff/api-machinery';
import { ContainerStats, NodeStats, StatsSummary } from '@skiff/kube-types';
import { kibibytes, nanoCores, nodeMetricsOf, podMetricsOf, StatsIndex } from './resource-metrics.conversion';

const NOW = new Date('2026-03-01T10:00:30.250Z');
const T1 = '2026-03-01T10:00:20Z';
const T2 = '2026-03-01T10:00:25.700Z';

function container(name: string, nanoCores?: number, workingSetBytes?: number, time = T2): ContainerStats {
  return {
    name,
    startTime: '2026-03-01T09:00:00Z',
    ...(nanoCores === undefined ? {} : { cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: 1e12 } }),
    ...(workingSetBytes === undefined ? {} : { memory: { time, workingSetBytes, usageBytes: workingSetBytes * 2 } }),
  };
}

function summary(nodeName: string, node: Partial<NodeStats>, pods: StatsSummary['pods'] = []): StatsSummary {
  return { node: { nodeName, ...node }, pods };
}

function podStats(uid: string, containers: ContainerStats[]): StatsSummary['pods'][number] {
  return { podRef: { uid, namespace: 'shop', name: `pod-${uid}` }, startTime: '2026-03-01T09:00:00Z', containers };
}

function pod(name: string, uid: string, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...(labels ? { labels } : {}),
    },
    spec: { containers: [{ name: 'web' }] },
  };
}

function node(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels: { zone: 'a' } } };
}

const rate = (time: string, usageNanoCores: number, workingSetBytes: number): Partial<NodeStats> => ({
  cpu: { time, usageNanoCores },
  memory: { time, workingSetBytes },
});

describe('resource metrics conversion', () => {
  it('writes cpu in whole nanocores and memory in KiB, as metrics-server', () => {
    expect(nanoCores(0)).toBe('0n');
    expect(nanoCores(1_234_567.6)).toBe('1234568n');
    expect(kibibytes(4096 * 300)).toBe('1200Ki');
    expect(kibibytes(1536)).toBe('1Ki');
    expect(kibibytes(0)).toBe('0Ki');
  });

  it('makes a PodMetrics of a sampled pod: labels copied, created now, the oldest sample time, every container', () => {
    const stats = new StatsIndex([
      summary('zone-a', {}, [
        podStats('u1', [container('web', 2_500_000, 10 * 1024 * 1024), container('sidecar', 1_000, 4096, T1)]),
      ]),
    ]);
    expect(podMetricsOf(pod('web-1', 'u1', { app: 'web' }), stats, NOW)).toEqual({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name: 'web-1', namespace: 'shop', creationTimestamp: '2026-03-01T10:00:30Z', labels: { app: 'web' } },
      timestamp: T1,
      window: '15s',
      containers: [
        { name: 'web', usage: { cpu: '2500000n', memory: '10240Ki' } },
        { name: 'sidecar', usage: { cpu: '1000n', memory: '4Ki' } },
      ],
    });
  });

  it("takes the window the host measured its rates over, the longest of a pod's containers", () => {
    const over = (windowSeconds: number) => ({
      ...container('web', 1_000, 4096),
      cpu: { time: T2, usageNanoCores: 1_000, windowSeconds },
    });
    const stats = new StatsIndex([
      summary(
        'zone-a',
        { cpu: { time: T2, usageNanoCores: 5, windowSeconds: 75.5 }, memory: { time: T2, workingSetBytes: 1 } },
        [podStats('u1', [over(4.998), { ...over(5.0125), name: 'sidecar' }])],
      ),
    ]);
    expect(podMetricsOf(pod('web-1', 'u1'), stats, NOW)?.window).toBe('5.013s');
    expect(nodeMetricsOf(node('zone-a'), stats, NOW)?.window).toBe('1m15.5s');
  });

  it('leaves out a pod without a sample, with another UID, with no containers, or with a container lacking a rate', () => {
    const stats = new StatsIndex([
      summary('zone-a', {}, [
        podStats('no-cpu', [container('web', 5, 4096), container('new', undefined, 4096)]),
        podStats('no-memory', [container('web', 5)]),
        podStats('empty', []),
        podStats('bad-time', [container('web', 5, 4096, 'yesterday')]),
        podStats('negative', [container('web', -1, 4096)]),
      ]),
    ]);
    for (const uid of ['no-cpu', 'no-memory', 'empty', 'bad-time', 'negative', 'unsampled'])
      expect(podMetricsOf(pod(`pod-${uid}`, uid), stats, NOW)).toBeUndefined();
    // The same name, another pod: a recreated StatefulSet pod does not inherit its predecessor's usage.
    const other = new StatsIndex([summary('zone-a', {}, [podStats('old-uid', [container('web', 5, 4096)])])]);
    expect(podMetricsOf(pod('pod-old-uid', 'new-uid'), other, NOW)).toBeUndefined();
  });

  it('finds a pod on whichever host reports it', () => {
    const stats = new StatsIndex([
      summary('zone-a', {}, [podStats('u1', [container('web', 7, 2048)])]),
      summary('zone-a', {}, [podStats('u2', [container('web', 9, 8192)])]),
    ]);
    expect(podMetricsOf(pod('b', 'u2'), stats, NOW)?.containers).toEqual([
      { name: 'web', usage: { cpu: '9n', memory: '8Ki' } },
    ]);
  });

  it('sums a virtual node over the hosts that report it, skipping hosts without rates', () => {
    const stats = new StatsIndex([
      summary('zone-a', rate(T2, 1_500_000_000, 3 * 1024 ** 3)),
      summary('zone-a', rate(T1, 250_000_000, 1024 ** 3)),
      summary('zone-a', { cpu: { time: T2 } }), // a host that has not sampled twice yet
      summary('zone-b', rate(T2, 9, 9 * 1024)),
    ]);
    expect(nodeMetricsOf(node('zone-a'), stats, NOW)).toEqual({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'NodeMetrics',
      metadata: { name: 'zone-a', creationTimestamp: '2026-03-01T10:00:30Z', labels: { zone: 'a' } },
      timestamp: T1,
      window: '15s',
      usage: { cpu: '1750000000n', memory: '4194304Ki' },
    });
    expect(nodeMetricsOf(node('zone-b'), stats, NOW)?.usage).toEqual({ cpu: '9n', memory: '9Ki' });
    expect(nodeMetricsOf(node('zone-c'), stats, NOW)).toBeUndefined();
    expect(nodeMetricsOf(node('zone-a'), new StatsIndex([summary('zone-a', { cpu: { time: T2 } })]), NOW)).toBe(
      undefined,
    );
  });

  it('reads malformed summaries without failing', () => {
    const junk = [
      { node: null, pods: [null, 7, { podRef: null }, { podRef: { uid: 'u1' }, containers: 'web' }] },
      { node: { nodeName: 5 }, pods: 'none' },
      { node: { nodeName: 'zone-a', cpu: { time: T2, usageNanoCores: '5' }, memory: { workingSetBytes: 1 } } },
    ] as unknown as StatsSummary[];
    const stats = new StatsIndex(junk);
    expect(podMetricsOf(pod('pod-u1', 'u1'), stats, NOW)).toBeUndefined();
    expect(nodeMetricsOf(node('zone-a'), stats, NOW)).toBeUndefined();
  });
});
