import { cadvisorMetricsText } from './cadvisor-metrics.writer';
import { MetricsSnapshot, UsageSample } from '@skiff/host-tools';
import { statsSummaryOf } from './stats-summary.builder';

const T0 = Date.parse('2024-03-01T10:00:00Z');
const sample = (timeMs: number, cpuUsageNs: number, workingSetBytes = 1_000): UsageSample => ({
  timeMs,
  cpuUsageNs,
  usageBytes: workingSetBytes + 500,
  workingSetBytes,
  rssBytes: workingSetBytes - 100,
});

// Pod a: two samples (a rate); its container "web" two, its "late" one. Pod b: one sample.
const snapshot: MetricsSnapshot = {
  timeMs: T0 + 15_100,
  pods: [
    {
      pod: {
        uid: 'u-a',
        namespace: 'shop',
        name: 'a',
        startTime: '2024-03-01T09:00:00Z',
        cgroup: 'skiff/u-a',
        containers: [],
      },
      usage: { previous: sample(T0, 1_000_000_000), last: sample(T0 + 15_000, 16_000_000_000, 5_000) },
      containers: [
        {
          container: { name: 'web', startTime: '2024-03-01T09:00:01.000Z', cgroup: 'skiff/u-a/web' },
          usage: { previous: sample(T0, 500_000_000), last: sample(T0 + 15_000, 8_000_000_000, 3_000) },
        },
        {
          container: { name: 'late', startTime: '2024-03-01T10:00:05.000Z', cgroup: 'skiff/u-a/late' },
          usage: { last: sample(T0 + 15_000, 250_000_000, 1_500) },
        },
      ],
    },
    {
      pod: {
        uid: 'u-b',
        namespace: 'shop',
        name: 'b',
        startTime: '2024-03-01T10:00:10Z',
        cgroup: 'skiff/u-b',
        containers: [],
      },
      usage: { last: sample(T0 + 15_050, 3_000_000_000, 2_000) },
      containers: [],
    },
  ],
};

describe(statsSummaryOf.name, () => {
  it('gives each pod and container its last sample, and a rate only where there are two', () => {
    const summary = statsSummaryOf('virtual-kubelet-zone-a', snapshot);
    const [a, b] = summary.pods;
    expect(a.podRef).toEqual({ name: 'a', namespace: 'shop', uid: 'u-a' });
    expect(a.startTime).toBe('2024-03-01T09:00:00Z');
    expect(a.cpu).toEqual({
      time: '2024-03-01T10:00:15.000Z',
      usageNanoCores: 1_000_000_000,
      windowSeconds: 15,
      usageCoreNanoSeconds: 16e9,
    });
    expect(a.memory).toEqual({
      time: '2024-03-01T10:00:15.000Z',
      usageBytes: 5_500,
      workingSetBytes: 5_000,
      rssBytes: 4_900,
    });
    expect(a.containers).toEqual([
      {
        name: 'web',
        startTime: '2024-03-01T09:00:01.000Z',
        cpu: {
          time: '2024-03-01T10:00:15.000Z',
          usageNanoCores: 500_000_000,
          windowSeconds: 15,
          usageCoreNanoSeconds: 8e9,
        },
        memory: { time: '2024-03-01T10:00:15.000Z', usageBytes: 3_500, workingSetBytes: 3_000, rssBytes: 2_900 },
      },
      {
        name: 'late',
        startTime: '2024-03-01T10:00:05.000Z',
        cpu: { time: '2024-03-01T10:00:15.000Z', usageCoreNanoSeconds: 250_000_000 },
        memory: { time: '2024-03-01T10:00:15.000Z', usageBytes: 2_000, workingSetBytes: 1_500, rssBytes: 1_400 },
      },
    ]);
    expect(b.cpu).not.toHaveProperty('usageNanoCores');
  });

  it('sums the pods into the node (rates of pods that have one)', () => {
    expect(statsSummaryOf('virtual-kubelet-zone-a', snapshot).node).toEqual({
      nodeName: 'virtual-kubelet-zone-a',
      cpu: {
        time: '2024-03-01T10:00:15.100Z',
        usageNanoCores: 1_000_000_000,
        windowSeconds: 15,
        usageCoreNanoSeconds: 19e9,
      },
      memory: { time: '2024-03-01T10:00:15.100Z', usageBytes: 8_000, workingSetBytes: 7_000, rssBytes: 6_800 },
    });
  });

  it('has only the node name before the first round', () => {
    expect(statsSummaryOf('virtual-kubelet-zone-a', { pods: [] })).toEqual({
      node: { nodeName: 'virtual-kubelet-zone-a' },
      pods: [],
    });
  });
});

describe(cadvisorMetricsText.name, () => {
  it('writes cAdvisor\'s families with HELP/TYPE, sorted labels, pod series as container="" and ms timestamps', () => {
    const ts = T0 + 15_000;
    expect(cadvisorMetricsText(snapshot)).toBe(
      [
        '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.',
        '# TYPE container_cpu_usage_seconds_total counter',
        `container_cpu_usage_seconds_total{container="",cpu="total",namespace="shop",pod="a"} 16 ${ts}`,
        `container_cpu_usage_seconds_total{container="web",cpu="total",namespace="shop",pod="a"} 8 ${ts}`,
        `container_cpu_usage_seconds_total{container="late",cpu="total",namespace="shop",pod="a"} 0.25 ${ts}`,
        `container_cpu_usage_seconds_total{container="",cpu="total",namespace="shop",pod="b"} 3 ${ts + 50}`,
        '# HELP container_memory_working_set_bytes Current working set in bytes.',
        '# TYPE container_memory_working_set_bytes gauge',
        `container_memory_working_set_bytes{container="",namespace="shop",pod="a"} 5000 ${ts}`,
        `container_memory_working_set_bytes{container="web",namespace="shop",pod="a"} 3000 ${ts}`,
        `container_memory_working_set_bytes{container="late",namespace="shop",pod="a"} 1500 ${ts}`,
        `container_memory_working_set_bytes{container="",namespace="shop",pod="b"} 2000 ${ts + 50}`,
        '# HELP container_memory_rss Size of RSS in bytes.',
        '# TYPE container_memory_rss gauge',
        `container_memory_rss{container="",namespace="shop",pod="a"} 4900 ${ts}`,
        `container_memory_rss{container="web",namespace="shop",pod="a"} 2900 ${ts}`,
        `container_memory_rss{container="late",namespace="shop",pod="a"} 1400 ${ts}`,
        `container_memory_rss{container="",namespace="shop",pod="b"} 1900 ${ts + 50}`,
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and writes only HELP/TYPE with no pods', () => {
    const odd: MetricsSnapshot = {
      timeMs: T0,
      pods: [{ ...snapshot.pods[1], pod: { ...snapshot.pods[1].pod, name: 'a"b\\c\nd' } }],
    };
    expect(cadvisorMetricsText(odd)).toContain('pod="a\\"b\\\\c\\nd"');
    expect(
      cadvisorMetricsText({ pods: [] })
        .split('\n')
        .filter((l) => l && !l.startsWith('#')),
    ).toEqual([]);
  });
});
