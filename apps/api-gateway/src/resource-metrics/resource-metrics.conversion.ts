// From the agents' stats summaries to metrics.k8s.io objects, as metrics-server builds them.
import { isJsonObject, KubeObject, metaTime } from '@skiff/api-machinery';
import {
  ContainerStats,
  METRICS_GROUP_VERSION,
  NodeMetrics,
  NodeStats,
  PodMetrics,
  PodStats,
  ResourceUsage,
  StatsSummary,
} from '@skiff/kube-types';

/** metrics-server's window when a host does not say what its rate was measured over (kubelet's summary does not). */
const DEFAULT_WINDOW_SECONDS = 15;

/** A rate and a working set, measured at `timeMs`. */
interface Usage {
  nanoCores: number;
  workingSetBytes: number;
  timeMs: number;
  windowSeconds: number;
}

/** The stats summaries of every host that answered, indexed for lookups by pod UID and node name. */
export class StatsIndex {
  private readonly pods = new Map<string, PodStats>();
  private readonly nodes = new Map<string, NodeStats[]>();

  constructor(summaries: readonly StatsSummary[]) {
    for (const s of summaries) {
      if (isJsonObject(s.node) && typeof s.node.nodeName === 'string') {
        const shares = this.nodes.get(s.node.nodeName) ?? [];
        shares.push(s.node);
        this.nodes.set(s.node.nodeName, shares);
      }
      for (const p of Array.isArray(s.pods) ? s.pods : []) {
        if (isJsonObject(p) && isJsonObject(p.podRef) && typeof p.podRef.uid === 'string' && p.podRef.uid !== '')
          this.pods.set(p.podRef.uid, p);
      }
    }
  }

  pod(uid: string | undefined): PodStats | undefined {
    return uid ? this.pods.get(uid) : undefined;
  }

  /** The shares of a virtual node, one per host that reports it. */
  node(name: string): NodeStats[] {
    return this.nodes.get(name) ?? [];
  }
}

/** cpu as metrics-server writes it: whole nanocores. */
export function nanoCores(value: number): string {
  return `${Math.round(value)}n`;
}

/** memory as metrics-server writes it: KiB (a working set is whole pages). */
export function kibibytes(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

function usageOf(stats: Pick<ContainerStats, 'cpu' | 'memory'>): Usage | undefined {
  const nanoCores = stats.cpu?.usageNanoCores;
  const workingSetBytes = stats.memory?.workingSetBytes;
  const timeMs = Date.parse(stats.cpu?.time ?? '');
  if (!isCount(nanoCores) || !isCount(workingSetBytes) || Number.isNaN(timeMs)) return undefined;
  const window = stats.cpu?.windowSeconds;
  return { nanoCores, workingSetBytes, timeMs, windowSeconds: isCount(window) ? window : DEFAULT_WINDOW_SECONDS };
}

/** The longest window of the usages, as a Go duration (`15s`, `15.004s`, `1m0s`), as metav1.Duration prints it. */
function windowOf(usages: readonly Usage[]): string {
  const ms = Math.round(Math.max(...usages.map((u) => u.windowSeconds)) * 1000);
  const seconds = `${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${seconds}` : seconds;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function resourceUsage(u: Pick<Usage, 'nanoCores' | 'workingSetBytes'>): ResourceUsage {
  return { cpu: nanoCores(u.nanoCores), memory: kibibytes(u.workingSetBytes) };
}

function meta(obj: KubeObject, now: Date): PodMetrics['metadata'] {
  const { name = '', namespace, labels } = obj.metadata;
  return {
    name,
    ...(namespace ? { namespace } : {}),
    // metrics-server stamps the time it answers: the object is made on each read.
    creationTimestamp: metaTime(now),
    ...(labels ? { labels } : {}),
  };
}

/**
 * The PodMetrics of a pod from the sample of the same pod (by UID), or undefined when there is none or a
 * container of it lacks a CPU rate or a working set. The timestamp is the oldest container sample's.
 */
export function podMetricsOf(pod: KubeObject, stats: StatsIndex, now: Date): PodMetrics | undefined {
  const sample = stats.pod(pod.metadata.uid);
  const containers = Array.isArray(sample?.containers) ? sample.containers : [];
  if (containers.length === 0) return undefined;
  const usages: { name: string; usage: Usage }[] = [];
  for (const c of containers) {
    const usage = isJsonObject(c) && typeof c.name === 'string' ? usageOf(c) : undefined;
    if (!usage) return undefined;
    usages.push({ name: c.name, usage });
  }
  return {
    apiVersion: METRICS_GROUP_VERSION,
    kind: 'PodMetrics',
    metadata: meta(pod, now),
    timestamp: metaTime(Math.min(...usages.map((c) => c.usage.timeMs))),
    window: windowOf(usages.map((c) => c.usage)),
    containers: usages.map((c) => ({ name: c.name, usage: resourceUsage(c.usage) })),
  };
}

/** The NodeMetrics of a virtual node: the sum of its hosts' shares that carry rates, or undefined if none does. */
export function nodeMetricsOf(node: KubeObject, stats: StatsIndex, now: Date): NodeMetrics | undefined {
  const shares = stats.node(node.metadata.name ?? '').flatMap((s) => usageOf(s) ?? []);
  if (shares.length === 0) return undefined;
  return {
    apiVersion: METRICS_GROUP_VERSION,
    kind: 'NodeMetrics',
    metadata: meta(node, now),
    timestamp: metaTime(Math.min(...shares.map((s) => s.timeMs))),
    window: windowOf(shares),
    usage: resourceUsage({
      nanoCores: shares.reduce((sum, s) => sum + s.nanoCores, 0),
      workingSetBytes: shares.reduce((sum, s) => sum + s.workingSetBytes, 0),
    }),
  };
}
