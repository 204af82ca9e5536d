// Resource metrics: what a sandbox agent serves (kubelet's /stats/summary and cAdvisor's Prometheus names) and what
// the API server serves from it (metrics.k8s.io/v1beta1, as metrics-server does).

/** The agent's paths, behind the same bearer check as its containerLogs endpoint. */
export const STATS_SUMMARY_PATH = '/stats/summary';
export const CADVISOR_METRICS_PATH = '/metrics/cadvisor';

/** kubelet's stats/v1alpha1 CPUStats: `usageNanoCores` is the rate over the last sampling window. */
export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  /** Skiff's addition: the seconds `usageNanoCores` was measured over (metrics.k8s.io's window). */
  windowSeconds?: number;
  usageCoreNanoSeconds?: number;
}

/** kubelet's MemoryStats: `workingSetBytes` = usage minus inactive file pages, what eviction and metrics use. */
export interface MemoryStats {
  time: string;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodReference {
  name: string;
  namespace: string;
  uid: string;
}

export interface PodStats {
  podRef: PodReference;
  startTime: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

/** One host's share of a virtual node: the sum of its pods. */
export interface NodeStats {
  nodeName: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

/** kubelet's /stats/summary, the parts Skiff fills. */
export interface StatsSummary {
  node: NodeStats;
  pods: PodStats[];
}

export const METRICS_GROUP_VERSION = 'metrics.k8s.io/v1beta1';

/** metrics.k8s.io ResourceList: cpu as `<n>n` (nanocores), memory as `<n>Ki`, as metrics-server writes them. */
export interface ResourceUsage {
  cpu: string;
  memory: string;
}

export interface MetricsObjectMeta {
  name: string;
  namespace?: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
}

export interface PodMetrics {
  apiVersion: typeof METRICS_GROUP_VERSION;
  kind: 'PodMetrics';
  metadata: MetricsObjectMeta;
  /** The end of the window the usage was measured over; `window` its length (`15s`). */
  timestamp: string;
  window: string;
  containers: { name: string; usage: ResourceUsage }[];
}

export interface NodeMetrics {
  apiVersion: typeof METRICS_GROUP_VERSION;
  kind: 'NodeMetrics';
  metadata: MetricsObjectMeta;
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}
