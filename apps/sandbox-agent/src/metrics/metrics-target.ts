import { MetricsContainer, MetricsPod } from '@skiff/host-tools';
import { PodRecord } from '../pods/pod-state.store';
import { containerCgroupPath, podCgroupPath } from '../runtime/cgroup-paths';

/**
 * Pods with a sandbox and their running containers (init and ephemeral ones too while they run, as kubelet's
 * cAdvisor sees them). Each container of a gVisor pod is a sandbox of its own, in that container's cgroup.
 */
export function metricsPodsOf(records: PodRecord[]): MetricsPod[] {
  const pods: MetricsPod[] = [];
  for (const r of records) {
    if (!r.sandbox || !r.startTime) continue;
    const containers: MetricsContainer[] = [];
    for (const c of Object.values(r.containers)) {
      if (c.runtimeId === undefined || c.startedAtMs === undefined) continue;
      containers.push({
        name: c.name,
        startTime: new Date(c.startedAtMs).toISOString(),
        cgroup: containerCgroupPath(r.uid, c.name),
      });
    }
    pods.push({
      uid: r.uid,
      namespace: r.namespace,
      name: r.name,
      startTime: r.startTime,
      cgroup: podCgroupPath(r.uid),
      containers,
    });
  }
  return pods;
}
