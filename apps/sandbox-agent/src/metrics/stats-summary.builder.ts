import { CpuStats, MemoryStats, NodeStats, StatsSummary } from '@skiff/kube-types';
import { MetricsSnapshot, SampledPod, usageNanoCores, UsageWindow } from '@skiff/host-tools';

/**
 * kubelet's /stats/summary from the last round. The node is this host's share of its virtual node: the sum of
 * its pods (a pod's rate counts from its second sample). A cgroup with one sample has no usageNanoCores.
 */
export function statsSummaryOf(nodeName: string, snapshot: MetricsSnapshot): StatsSummary {
  return {
    node: nodeStatsOf(nodeName, snapshot),
    pods: snapshot.pods.map((p) => ({
      podRef: { name: p.pod.name, namespace: p.pod.namespace, uid: p.pod.uid },
      startTime: p.pod.startTime,
      containers: p.containers.map((c) => ({
        name: c.container.name,
        startTime: c.container.startTime,
        cpu: cpuStatsOf(c.usage),
        memory: memoryStatsOf(c.usage),
      })),
      cpu: cpuStatsOf(p.usage),
      memory: memoryStatsOf(p.usage),
    })),
  };
}

function cpuStatsOf(w: UsageWindow): CpuStats {
  const rate = usageNanoCores(w);
  return {
    time: new Date(w.last.timeMs).toISOString(),
    ...(rate === undefined || !w.previous
      ? {}
      : { usageNanoCores: rate, windowSeconds: (w.last.timeMs - w.previous.timeMs) / 1000 }),
    usageCoreNanoSeconds: w.last.cpuUsageNs,
  };
}

function memoryStatsOf(w: UsageWindow): MemoryStats {
  return {
    time: new Date(w.last.timeMs).toISOString(),
    usageBytes: w.last.usageBytes,
    workingSetBytes: w.last.workingSetBytes,
    rssBytes: w.last.rssBytes,
  };
}

function nodeStatsOf(nodeName: string, snapshot: MetricsSnapshot): NodeStats {
  if (snapshot.timeMs === undefined) return { nodeName };
  const time = new Date(snapshot.timeMs).toISOString();
  const sum = (f: (p: SampledPod) => number | undefined): number =>
    snapshot.pods.reduce((total, p) => total + (f(p) ?? 0), 0);
  const windows = snapshot.pods.flatMap(({ usage: w }) =>
    w.previous ? [(w.last.timeMs - w.previous.timeMs) / 1000] : [],
  );
  return {
    nodeName,
    cpu: {
      time,
      usageNanoCores: sum((p) => usageNanoCores(p.usage)),
      ...(windows.length ? { windowSeconds: Math.max(...windows) } : {}),
      usageCoreNanoSeconds: sum((p) => p.usage.last.cpuUsageNs),
    },
    memory: {
      time,
      usageBytes: sum((p) => p.usage.last.usageBytes),
      workingSetBytes: sum((p) => p.usage.last.workingSetBytes),
      rssBytes: sum((p) => p.usage.last.rssBytes),
    },
  };
}
