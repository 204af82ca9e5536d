import { PodRecord } from '../pods/pod-state.store';
import { containerCgroupPath, podCgroupPath } from '../runtime/cgroup-v1';

/** A running container whose cgroup is sampled. `startTime` also tells one instance from the next. */
export interface MetricsContainer {
  name: string;
  startTime: string;
  /** Relative to the agent's own cgroup, as runc and runsc resolve a container's cgroupsPath. */
  cgroup: string;
}

export interface MetricsPod {
  uid: string;
  namespace: string;
  name: string;
  startTime: string;
  /** The pod's cgroup: every container of the pod (and a runc pod's pause) below it. */
  cgroup: string;
  containers: MetricsContainer[];
}

/** Which pods and containers to sample now: the pod manager's records, read each round. */
export type MetricsPodSource = () => MetricsPod[];

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
