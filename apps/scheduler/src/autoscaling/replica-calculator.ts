// The replica calculator of pkg/controller/podautoscaler (replica_calculator.go, metrics/utilization.go) for
// Resource and ContainerResource metrics: pods grouped into ready, unready, missing and ignored, and the
// missing and unready ones rebalanced so a scale decision never flips direction because of them.
import type { Container, Pod } from '@skiff/kube-types';
import { parseQuantity } from '@skiff/api-machinery';

/** One pod's usage of a resource in milli-units (millicores, millibytes), and the window it was measured over. */
export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  value: number;
}

/** Usage by pod name. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorSettings {
  tolerance: number;
  cpuInitializationPeriodMs: number;
  delayOfInitialReadinessStatusMs: number;
}

/** kube-controller-manager's defaults. */
export const DEFAULT_CALCULATOR_SETTINGS: CalculatorSettings = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

export interface ResourceReplicasInput {
  currentReplicas: number;
  resource: string;
  /** A ContainerResource metric's container; '' sums the pod's containers. */
  container: string;
  /** The pods the target's selector selects (any phase). */
  pods: Pod[];
  metrics: PodMetricsInfo;
  nowMs: number;
  settings: CalculatorSettings;
}

// Go's zero time.Time, which a missing lastTransitionTime reads as.
const ZERO_TIME_MS = -62_135_596_800_000;

/** Quantity.MilliValue(): rounded up to a whole milli-unit. */
export function milliValue(quantity: string | number): number {
  const v = parseQuantity(quantity);
  return Number.isInteger(v) ? v * 1000 : Math.ceil(Math.round(v * 1e9) / 1e6);
}

function timeOf(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? ZERO_TIME_MS : ms;
}

function within(tolerance: number, ratio: number): boolean {
  return 1 - tolerance <= ratio && ratio <= 1 + tolerance;
}

interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** groupPods: deleting or Failed pods are ignored; Pending and (for CPU) not-yet-settled pods are unready. */
export function groupPods(
  pods: Pod[],
  metrics: PodMetricsInfo,
  resource: string,
  nowMs: number,
  settings: CalculatorSettings,
): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name!;
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === 'Failed') {
      groups.ignored.add(name);
      continue;
    }
    if (phase === 'Pending') {
      groups.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      groups.missing.add(name);
      continue;
    }
    if (resource === 'cpu' && cpuUnready(pod, metric, nowMs, settings)) {
      groups.unready.add(name);
      continue;
    }
    groups.readyPodCount++;
  }
  return groups;
}

function cpuUnready(pod: Pod, metric: PodMetric, nowMs: number, settings: CalculatorSettings): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || !pod.status?.startTime) return true;
  const start = timeOf(pod.status.startTime);
  const transition = timeOf(ready.lastTransitionTime);
  // Still initializing: a sample counts only once the pod is ready and one window has passed since it became so.
  if (start + settings.cpuInitializationPeriodMs > nowMs)
    return ready.status === 'False' || metric.timestampMs < transition + metric.windowMs;
  // Afterwards only a pod that has never been ready is left out.
  return ready.status === 'False' && start + settings.delayOfInitialReadinessStatusMs > transition;
}

function requestOf(c: Container, resource: string, pod: Pod): number {
  const request = c.resources?.requests?.[resource];
  if (request === undefined)
    throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
  return milliValue(request as string | number);
}

/** calculatePodRequestsFromContainers: app and sidecar (restartable init) containers, or the one named. */
function podRequest(pod: Pod, container: string, resource: string): number {
  const containers = [
    ...pod.spec.containers,
    ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  let total = 0;
  for (const c of containers) {
    if (container === '' || container === c.name) total += requestOf(c, resource, pod);
    if (container === c.name) return total;
  }
  if (container !== '') throw new Error(`container ${container} not found in Pod ${pod.metadata.name}`);
  return total;
}

function utilizationRatio(
  metrics: PodMetricsInfo,
  requests: Map<string, number>,
  target: number,
): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const request = requests.get(name);
    // Metrics of pods not asked about are extraneous.
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

function usageRatio(metrics: PodMetricsInfo, target: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / target, usage };
}

const zero = (): PodMetric => ({ timestampMs: 0, windowMs: 0, value: 0 });

/**
 * GetResourceReplicas: replicas for a target utilization (percent of request). Returns the
 * replica count, the utilization and the average raw usage (milli-units) of the ready pods.
 */
export function resourceReplicas(
  input: ResourceReplicasInput,
  targetUtilization: number,
): { replicas: number; utilization: number; rawAverage: number } {
  const { currentReplicas, resource, container, pods, nowMs, settings } = input;
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics = new Map(input.metrics);
  const groups = groupPods(pods, metrics, resource, nowMs, settings);
  for (const name of [...groups.ignored, ...groups.unready]) metrics.delete(name);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const requests = new Map(pods.map((p) => [p.metadata.name!, podRequest(p, container, resource)]));

  const first = utilizationRatio(metrics, requests, targetUtilization);
  const { ratio, utilization, rawAverage } = first;
  const result = (replicas: number) => ({ replicas, utilization, rawAverage });
  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (within(settings.tolerance, ratio)) return result(currentReplicas);
    return result(Math.ceil(ratio * groups.readyPodCount));
  }
  if (groups.missing.size > 0) {
    // Scaling down, a pod without metrics counts as using its request (or the target, when above 100%); scaling up, nothing.
    const fallback = Math.max(100, targetUtilization);
    for (const name of groups.missing) {
      if (ratio < 1) metrics.set(name, { ...zero(), value: Math.trunc((requests.get(name)! * fallback) / 100) });
      else if (ratio > 1) metrics.set(name, zero());
    }
  }
  if (scaleUpWithUnready) for (const name of groups.unready) metrics.set(name, zero());
  const rebalanced = utilizationRatio(metrics, requests, targetUtilization).ratio;
  return result(rebalancedReplicas(currentReplicas, ratio, rebalanced, metrics.size, settings.tolerance));
}

/** GetRawResourceReplicas (calcPlainMetricReplicas): replicas for a target average usage in milli-units. */
export function rawResourceReplicas(
  input: ResourceReplicasInput,
  targetUsage: number,
): { replicas: number; usage: number } {
  const { currentReplicas, resource, pods, nowMs, settings } = input;
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics = new Map(input.metrics);
  const groups = groupPods(pods, metrics, resource, nowMs, settings);
  for (const name of [...groups.ignored, ...groups.unready]) metrics.delete(name);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');

  const { ratio, usage } = usageRatio(metrics, targetUsage);
  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (within(settings.tolerance, ratio)) return { replicas: currentReplicas, usage };
    return { replicas: Math.ceil(ratio * groups.readyPodCount), usage };
  }
  for (const name of groups.missing) {
    // Scaling down, a pod without metrics uses exactly the target; scaling up, nothing.
    if (ratio < 1) metrics.set(name, { ...zero(), value: targetUsage });
    else if (ratio > 1) metrics.set(name, zero());
  }
  if (scaleUpWithUnready) for (const name of groups.unready) metrics.set(name, zero());
  const rebalanced = usageRatio(metrics, targetUsage).ratio;
  return {
    replicas: rebalancedReplicas(currentReplicas, ratio, rebalanced, metrics.size, settings.tolerance),
    usage,
  };
}

// After rebalancing: no change when within tolerance or when the direction would flip.
function rebalancedReplicas(
  currentReplicas: number,
  ratio: number,
  rebalanced: number,
  counted: number,
  tolerance: number,
): number {
  if (within(tolerance, rebalanced) || (ratio < 1 && rebalanced > 1) || (ratio > 1 && rebalanced < 1))
    return currentReplicas;
  const replicas = Math.ceil(rebalanced * counted);
  if ((rebalanced < 1 && replicas > currentReplicas) || (rebalanced > 1 && replicas < currentReplicas))
    return currentReplicas;
  return replicas;
}
