import { KubeClient } from '@skiff/kube-client';
import type { Pod, PodMetrics } from '@skiff/kube-types';
import {
  CalculatorSettings,
  groupPods,
  milliValue,
  PodMetricsInfo,
  rawResourceReplicas,
  resourceReplicas,
} from './replica-calculator';
import { durationMs, resourceMetric } from './resource-metrics';

// The cases of upstream's replica_calculator_test.go, with its testing settings and fixtures: pods
// test-pod-<i> of two containers each requesting the pod's request, metrics with a zero timestamp.
const SETTINGS: CalculatorSettings = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 2 * 60_000,
  delayOfInitialReadinessStatusMs: 10_000,
};
const NOW = Date.parse('2024-03-01T10:00:00Z');
const ZERO_TIME = '0001-01-01T00:00:00Z';
const HOT = NOW;
const COOL = NOW - 3 * 60_000;

interface Case {
  currentReplicas: number;
  expectedReplicas?: number;
  expectedError?: string;
  resource?: string;
  requests: string[];
  levels: number[][];
  podNames?: string[];
  target: number;
  expected?: number;
  expectedValue?: number;
  container?: string;
  readiness?: ('True' | 'False')[];
  startTimes?: number[];
  phases?: string[];
  deleting?: boolean[];
}

/** makePodMetricLevels: both containers use the same amount. */
const levels = (...each: number[]) => each.map((v) => [v, v]);
const cpu = (n: number) => Array.from({ length: n }, () => '1.0');

function podsOf(tc: Case): Pod[] {
  const count = Math.max(tc.currentReplicas, tc.phases?.length ?? 0);
  const resource = tc.resource ?? 'cpu';
  return Array.from({ length: count }, (_, i) => {
    const requests = i < tc.requests.length ? { resources: { requests: { [resource]: tc.requests[i] } } } : {};
    return {
      metadata: {
        name: `test-pod-${i}`,
        namespace: 'test-namespace',
        labels: { name: 'test-pod' },
        ...(tc.deleting?.[i] ? { deletionTimestamp: new Date(NOW).toISOString() } : {}),
      },
      spec: { containers: ['container1', 'container2'].map((name) => ({ name, ...requests })) },
      status: {
        phase: tc.phases?.[i] ?? 'Running',
        startTime: tc.startTimes ? new Date(tc.startTimes[i]).toISOString() : ZERO_TIME,
        conditions: [{ type: 'Ready', status: tc.readiness?.[i] ?? 'True' }],
      },
    } as Pod;
  });
}

function metricsOf(tc: Case): PodMetrics[] {
  const resource = tc.resource ?? 'cpu';
  return tc.levels.map((values, i) => ({
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name: tc.podNames?.[i] ?? `test-pod-${i}`, namespace: 'test-namespace', creationTimestamp: ZERO_TIME },
    timestamp: ZERO_TIME,
    window: '1m0s',
    // Always two entries: a container without a sample is an empty one, as Go's zero value.
    containers: [0, 1].map((j) =>
      j < values.length
        ? { name: `container${j + 1}`, usage: { [resource]: `${values[j]}m` } }
        : { name: '', usage: {} },
    ) as unknown as PodMetrics['containers'],
  }));
}

async function metricsFor(tc: Case): Promise<PodMetricsInfo> {
  const paths: string[] = [];
  const client = {
    request: async (_m: string, path: string) => {
      paths.push(path);
      return { kind: 'PodMetricsList', items: metricsOf(tc) };
    },
  } as unknown as KubeClient;
  const info = await resourceMetric(
    client,
    tc.resource ?? 'cpu',
    'test-namespace',
    'name=test-pod',
    tc.container ?? '',
  );
  expect(paths).toEqual(['/apis/metrics.k8s.io/v1beta1/namespaces/test-namespace/pods?labelSelector=name%3Dtest-pod']);
  return info;
}

async function run(tc: Case, raw = false) {
  const input = {
    currentReplicas: tc.currentReplicas,
    resource: tc.resource ?? 'cpu',
    container: tc.container ?? '',
    pods: podsOf(tc),
    nowMs: NOW,
    settings: SETTINGS,
  };
  const calc = async () => {
    const metrics = await metricsFor(tc);
    return raw
      ? rawResourceReplicas({ ...input, metrics }, tc.target)
      : resourceReplicas({ ...input, metrics }, tc.target);
  };
  if (tc.expectedError) {
    await expect(calc()).rejects.toThrow(tc.expectedError);
    return;
  }
  const out = await calc();
  expect(out.replicas).toBe(tc.expectedReplicas);
  if ('utilization' in out) expect([out.utilization, out.rawAverage]).toEqual([tc.expected, tc.expectedValue]);
  else expect(out.usage).toBe(tc.expected);
}

describe('replica calculator (Utilization targets)', () => {
  const cases: [string, Case][] = [
    [
      'DisjointResourcesMetrics',
      {
        currentReplicas: 1,
        expectedError: 'no metrics returned matched known pods',
        requests: cpu(1),
        levels: levels(100),
        podNames: ['an-older-pod-name'],
        target: 100,
      },
    ],
    [
      'ScaleUp',
      {
        currentReplicas: 3,
        expectedReplicas: 5,
        requests: cpu(3),
        levels: levels(300, 500, 700),
        target: 30,
        expected: 50,
        expectedValue: 1000,
      },
    ],
    [
      'ContainerScaleUp',
      {
        currentReplicas: 3,
        expectedReplicas: 5,
        requests: cpu(3),
        levels: [
          [1000, 300],
          [1000, 500],
          [1000, 700],
        ],
        target: 30,
        expected: 50,
        expectedValue: 500,
        container: 'container2',
      },
    ],
    [
      'ScaleUpUnreadyLessScale',
      {
        currentReplicas: 3,
        expectedReplicas: 4,
        readiness: ['False', 'True', 'True'],
        requests: cpu(3),
        levels: levels(300, 500, 700),
        target: 30,
        expected: 60,
        expectedValue: 1200,
      },
    ],
    [
      'ScaleUpContainerHotCpuLessScale',
      {
        currentReplicas: 3,
        expectedReplicas: 4,
        startTimes: [HOT, COOL, COOL],
        requests: cpu(3),
        levels: [
          [0, 300],
          [0, 500],
          [0, 700],
        ],
        target: 30,
        expected: 60,
        expectedValue: 600,
        container: 'container2',
      },
    ],
    [
      'ScaleUpHotCpuLessScale',
      {
        currentReplicas: 3,
        expectedReplicas: 4,
        startTimes: [HOT, COOL, COOL],
        requests: cpu(3),
        levels: levels(300, 500, 700),
        target: 30,
        expected: 60,
        expectedValue: 1200,
      },
    ],
    [
      'ScaleUpUnreadyNoScale',
      {
        currentReplicas: 3,
        expectedReplicas: 3,
        readiness: ['True', 'False', 'False'],
        requests: cpu(3),
        levels: levels(400, 500, 700),
        target: 30,
        expected: 40,
        expectedValue: 800,
      },
    ],
    [
      'ScaleHotCpuNoScale',
      {
        currentReplicas: 3,
        expectedReplicas: 3,
        readiness: ['True', 'False', 'False'],
        startTimes: [COOL, HOT, HOT],
        requests: cpu(3),
        levels: levels(400, 500, 700),
        target: 30,
        expected: 40,
        expectedValue: 800,
      },
    ],
    [
      'ScaleUpIgnoresFailedPods',
      {
        currentReplicas: 2,
        expectedReplicas: 4,
        readiness: ['True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Failed', 'Failed'],
        requests: cpu(4),
        levels: levels(500, 700),
        target: 30,
        expected: 60,
        expectedValue: 1200,
      },
    ],
    [
      'MissingContainerMetricScaleUpIgnoresFailedPods',
      {
        currentReplicas: 2,
        expectedReplicas: 4,
        readiness: ['True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Failed', 'Failed'],
        requests: cpu(4),
        levels: [[1000, 500], [9000, 700], [1000], [9000]],
        target: 30,
        expected: 60,
        expectedValue: 600,
        container: 'container2',
      },
    ],
    [
      'ScaleUpIgnoresDeletionPods',
      {
        currentReplicas: 2,
        expectedReplicas: 4,
        readiness: ['True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Running', 'Running'],
        deleting: [false, false, true, true],
        requests: cpu(4),
        levels: levels(500, 700),
        target: 30,
        expected: 60,
        expectedValue: 1200,
      },
    ],
    [
      'ScaleDown',
      {
        currentReplicas: 5,
        expectedReplicas: 3,
        requests: cpu(5),
        levels: levels(100, 300, 500, 250, 250),
        target: 50,
        expected: 28,
        expectedValue: 560,
      },
    ],
    [
      'ContainerScaleDown',
      {
        currentReplicas: 5,
        expectedReplicas: 3,
        requests: cpu(5),
        levels: [
          [1000, 100],
          [1000, 300],
          [1000, 500],
          [1000, 250],
          [1000, 250],
        ],
        target: 50,
        expected: 28,
        expectedValue: 280,
        container: 'container2',
      },
    ],
    [
      'ScaleDownExcludeUnreadyPods',
      {
        currentReplicas: 5,
        expectedReplicas: 2,
        readiness: ['True', 'True', 'True', 'False', 'False'],
        requests: cpu(5),
        levels: levels(100, 300, 500, 250, 250),
        target: 50,
        expected: 30,
        expectedValue: 600,
      },
    ],
    [
      'ScaleDownExcludeUnscheduledPods',
      {
        currentReplicas: 5,
        expectedReplicas: 1,
        readiness: ['True', 'False', 'False', 'False', 'False'],
        phases: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'],
        requests: cpu(5),
        levels: levels(100),
        target: 50,
        expected: 10,
        expectedValue: 200,
      },
    ],
    [
      'ScaleDownIgnoreHotCpuPods',
      {
        currentReplicas: 5,
        expectedReplicas: 2,
        startTimes: [COOL, COOL, COOL, HOT, HOT],
        requests: cpu(5),
        levels: levels(100, 300, 500, 250, 250),
        target: 50,
        expected: 30,
        expectedValue: 600,
      },
    ],
    [
      'ScaleDownIgnoresFailedPods',
      {
        currentReplicas: 5,
        expectedReplicas: 3,
        readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'],
        requests: cpu(7),
        levels: levels(100, 300, 500, 250, 250),
        target: 50,
        expected: 28,
        expectedValue: 560,
      },
    ],
    [
      'ScaleDownIgnoresDeletionPods_StillRunning',
      {
        currentReplicas: 5,
        expectedReplicas: 3,
        readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'],
        phases: Array(7).fill('Running'),
        deleting: [false, false, false, false, false, true, true],
        requests: cpu(7),
        levels: [
          [1000, 100],
          [1000, 300],
          [1000, 500],
          [1000, 250],
          [1000, 250],
        ],
        target: 50,
        expected: 28,
        expectedValue: 280,
        container: 'container2',
      },
    ],
    [
      'Tolerance',
      {
        currentReplicas: 3,
        expectedReplicas: 3,
        requests: ['0.9', '1.0', '1.1'],
        levels: levels(1010, 1030, 1020),
        target: 100,
        expected: 102,
        expectedValue: 2040,
      },
    ],
    [
      'SuperfluousMetrics',
      {
        currentReplicas: 4,
        expectedReplicas: 24,
        requests: cpu(4),
        levels: levels(4000, 9500, 3000, 7000, 3200, 2000),
        target: 100,
        expected: 587,
        expectedValue: 11750,
      },
    ],
    [
      'MissingMetrics',
      {
        currentReplicas: 4,
        expectedReplicas: 3,
        requests: cpu(4),
        levels: levels(400, 95),
        target: 100,
        expected: 24,
        expectedValue: 495,
      },
    ],
    [
      'EmptyMetrics',
      {
        currentReplicas: 4,
        expectedError: 'no metrics returned from resource metrics API',
        requests: cpu(3),
        levels: [],
        target: 100,
      },
    ],
    [
      'EmptyCPURequest',
      {
        currentReplicas: 1,
        expectedError: 'missing request for cpu in container container1 of Pod test-pod-0',
        requests: [],
        levels: levels(200),
        target: 100,
      },
    ],
    [
      'MissingMetricsNoChangeEq',
      {
        currentReplicas: 2,
        expectedReplicas: 2,
        requests: cpu(2),
        levels: levels(1000),
        target: 100,
        expected: 100,
        expectedValue: 2000,
      },
    ],
    [
      'MissingMetricsNoChangeGt',
      {
        currentReplicas: 2,
        expectedReplicas: 2,
        requests: cpu(2),
        levels: levels(1900),
        target: 100,
        expected: 190,
        expectedValue: 3800,
      },
    ],
    [
      'MissingMetricsNoChangeLt',
      {
        currentReplicas: 2,
        expectedReplicas: 2,
        requests: cpu(2),
        levels: levels(600),
        target: 100,
        expected: 60,
        expectedValue: 1200,
      },
    ],
    [
      'MissingMetricsUnreadyChange',
      {
        currentReplicas: 3,
        expectedReplicas: 3,
        readiness: ['False', 'True', 'True'],
        requests: cpu(3),
        levels: levels(100, 450),
        target: 50,
        expected: 45,
        expectedValue: 900,
      },
    ],
    [
      'MissingMetricsHotCpuNoChange',
      {
        currentReplicas: 3,
        expectedReplicas: 3,
        startTimes: [HOT, COOL, COOL],
        requests: cpu(3),
        levels: levels(100, 450),
        target: 50,
        expected: 45,
        expectedValue: 900,
      },
    ],
    [
      'MissingMetricsUnreadyScaleUp',
      {
        currentReplicas: 3,
        expectedReplicas: 4,
        readiness: ['False', 'True', 'True'],
        requests: cpu(3),
        levels: levels(100, 2000),
        target: 50,
        expected: 200,
        expectedValue: 4000,
      },
    ],
    [
      'MissingMetricsHotCpuScaleUp',
      {
        currentReplicas: 3,
        expectedReplicas: 4,
        readiness: ['False', 'True', 'True'],
        startTimes: [HOT, COOL, COOL],
        requests: cpu(3),
        levels: levels(100, 2000),
        target: 50,
        expected: 200,
        expectedValue: 4000,
      },
    ],
    [
      'MissingMetricsUnreadyScaleDown',
      {
        currentReplicas: 4,
        expectedReplicas: 3,
        readiness: ['False', 'True', 'True', 'True'],
        requests: cpu(4),
        levels: levels(100, 100, 100),
        target: 50,
        expected: 10,
        expectedValue: 200,
      },
    ],
    [
      'MissingMetricsScaleDownTargetOver100',
      {
        currentReplicas: 4,
        expectedReplicas: 2,
        readiness: ['False', 'True', 'True', 'True'],
        requests: ['1.0', '1.0', '2.0', '2.0'],
        levels: levels(200, 100, 100),
        target: 300,
        expected: 6,
        expectedValue: 200,
      },
    ],
    [
      'DuringRollingUpdateWithMaxSurge',
      {
        currentReplicas: 2,
        expectedReplicas: 2,
        phases: ['Running', 'Running', 'Running'],
        requests: cpu(3),
        levels: levels(100, 100),
        target: 50,
        expected: 10,
        expectedValue: 200,
      },
    ],
  ];
  it.each(cases)('%s', (_name, tc) => run(tc));

  it('ComputedToleranceAlgImplementation: scales just past the tolerance, and not just inside it', async () => {
    const perPod = 300;
    const requests = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0].map((d) => `${perPod + d}m`);
    const base = {
      currentReplicas: 10,
      requests,
      levels: levels(...Array(10).fill(150)),
      expected: 50,
      expectedValue: 300,
    };
    // requestedToUsed = 2; target = 1 / (2 × 0.9) + .01 → 56%; ceil(1500 / (3000 × .5655…) × 10) = 9.
    const target = Math.trunc((1 / (2 * (1 - SETTINGS.tolerance)) + 0.01) * 100);
    const final = Math.ceil((1500 / (3000 * (1 / (2 * 0.9) + 0.01))) * 10);
    await run({ ...base, target, expectedReplicas: final });
    await run({ ...base, target: Math.trunc((1 / (2 * 0.9) + 0.004) * 100), expectedReplicas: 10 });
  });
});

describe('replica calculator (AverageValue targets)', () => {
  // Upstream's plain-metric cases (calcPlainMetricReplicas), on memory: no CPU readiness rules apply.
  const mem = (n: number) => Array.from({ length: n }, () => '1Gi');
  const cases: [string, Case][] = [
    [
      'ScaleUpCM',
      {
        resource: 'memory',
        currentReplicas: 3,
        expectedReplicas: 4,
        requests: mem(3),
        levels: [
          [20000, 0],
          [10000, 0],
          [30000, 0],
        ],
        target: 15000,
        expected: 20000,
      },
    ],
    [
      'ScaleUpCMUnreadyHotCpuNoLessScale',
      {
        resource: 'memory',
        currentReplicas: 3,
        expectedReplicas: 6,
        readiness: ['True', 'True', 'False'],
        startTimes: [COOL, COOL, HOT],
        requests: mem(3),
        levels: [
          [50000, 0],
          [10000, 0],
          [30000, 0],
        ],
        target: 15000,
        expected: 30000,
      },
    ],
    [
      'ScaleUpCMUnreadyHotCpuScaleWouldScaleDown',
      {
        resource: 'memory',
        currentReplicas: 3,
        expectedReplicas: 7,
        readiness: ['False', 'True', 'False'],
        startTimes: [HOT, COOL, HOT],
        requests: mem(3),
        levels: [
          [50000, 0],
          [15000, 0],
          [30000, 0],
        ],
        target: 15000,
        expected: 31666,
      },
    ],
    [
      'ScaleDownCM',
      {
        resource: 'memory',
        currentReplicas: 5,
        expectedReplicas: 3,
        requests: mem(5),
        levels: Array(5).fill([12000, 0]),
        target: 20000,
        expected: 12000,
      },
    ],
    [
      'ToleranceCM',
      {
        resource: 'memory',
        currentReplicas: 3,
        expectedReplicas: 3,
        requests: mem(3),
        levels: [
          [20000, 0],
          [21000, 0],
          [21000, 0],
        ],
        target: 20000,
        expected: 20666,
      },
    ],
    [
      'PlainMetricReplicaCalcMissingMetricsNoChangeEq',
      {
        resource: 'memory',
        currentReplicas: 5,
        expectedReplicas: 5,
        requests: mem(5),
        levels: [
          [20000, 0],
          [19000, 0],
          [21000, 0],
        ],
        target: 20000,
        expected: 20000,
      },
    ],
    [
      'DuringRollingUpdateWithMaxSurgeCM',
      {
        resource: 'memory',
        currentReplicas: 2,
        expectedReplicas: 2,
        phases: ['Running', 'Running', 'Running'],
        requests: mem(3),
        levels: [
          [10000, 0],
          [10000, 0],
        ],
        target: 17000,
        expected: 10000,
      },
    ],
    [
      'pending pods are left out, and missing ones count as the target when scaling down',
      {
        resource: 'memory',
        currentReplicas: 4,
        expectedReplicas: 2,
        phases: ['Running', 'Running', 'Running', 'Pending'],
        requests: mem(4),
        levels: [
          [2000, 0],
          [2000, 0],
        ],
        target: 10000,
        expected: 2000,
      },
    ],
  ];
  it.each(cases)('%s', (_name, tc) => run(tc, true));
});

describe('groupPods', () => {
  const pod = (name: string, status: Pod['status'], deleting = false): Pod =>
    ({
      metadata: { name, ...(deleting ? { deletionTimestamp: ZERO_TIME } : {}) },
      spec: { containers: [] },
      status,
    }) as Pod;
  const ago = (ms: number) => new Date(NOW - ms).toISOString();
  const sample = (value: number, atMs = NOW, windowMs = 60_000) => ({ value, timestampMs: atMs, windowMs });

  it('sorts pods as upstream does: ignored, unready (Pending, CPU not settled), missing, ready', () => {
    const pods = [
      pod('deleting', { phase: 'Running' }, true),
      pod('failed', { phase: 'Failed' }),
      pod('pending', { phase: 'Pending' }),
      pod('no-ready-condition', { phase: 'Running', startTime: ago(0) }),
      pod('fresh-sample', {
        phase: 'Running',
        startTime: ago(60_000),
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(30_000) }],
      }),
      pod('stale-sample', {
        phase: 'Running',
        startTime: ago(60_000),
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(30_000) }],
      }),
      pod('was-ready', {
        phase: 'Running',
        startTime: ago(10 * 60_000),
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ago(9 * 60_000) }],
      }),
      pod('never-ready', {
        phase: 'Running',
        startTime: ago(10 * 60_000),
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ago(9 * 60_000 + 54_000) }],
      }),
      pod('no-metrics', { phase: 'Running' }),
    ];
    const metrics = new Map(
      pods.map((p) => [p.metadata.name!, p.metadata.name === 'fresh-sample' ? sample(1, NOW, 30_000) : sample(1)]),
    );
    metrics.delete('no-metrics');
    const groups = groupPods(pods, metrics, 'cpu', NOW, SETTINGS);
    expect(groups).toEqual({
      readyPodCount: 2,
      ignored: new Set(['deleting', 'failed']),
      unready: new Set(['pending', 'no-ready-condition', 'stale-sample', 'never-ready']),
      missing: new Set(['no-metrics']),
    });
    // For memory, readiness does not matter.
    expect(groupPods(pods, metrics, 'memory', NOW, SETTINGS).readyPodCount).toBe(5);
  });
});

describe('quantities and durations', () => {
  it('reads metrics.k8s.io values as upstream MilliValue does, rounding up', () => {
    expect(['12345n', '5m', '1', '0.1', '1024Ki', '1.5Gi'].map(milliValue)).toEqual([
      1, 5, 1000, 100, 1_048_576_000, 1_610_612_736_000,
    ]);
    expect(['15s', '1m0s', '1.5s', '500ms', 'x'].map(durationMs)).toEqual([15_000, 60_000, 1500, 500, 0]);
  });
});
