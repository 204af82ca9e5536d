// The resource metrics client of pkg/controller/podautoscaler/metrics (rest_metrics_client.go): pod usage
// read from metrics.k8s.io through the API server, as PodMetricsInfo in milli-units.
import { errorMessage } from '@skiff/api-machinery';
import { KubeClient } from '@skiff/kube-client';
import { METRICS_GROUP_VERSION, PodMetrics } from '@skiff/kube-types';
import { milliValue, PodMetricsInfo } from './replica-calculator';

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`15s`, `1m0s`, `1.5s`) in milliseconds; 0 when it does not parse. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return 0;
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]], 0);
}

/**
 * GetResourceMetric: the usage of `resource` by the pods `selector` selects, summed over their
 * containers (a pod missing a container's sample has none), or of the one `container` named.
 */
export async function resourceMetric(
  client: KubeClient,
  resource: string,
  namespace: string,
  selector: string,
  container: string,
): Promise<PodMetricsInfo> {
  const path = `/apis/${METRICS_GROUP_VERSION}/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`;
  let items: PodMetrics[];
  try {
    items = (await client.request<{ items?: PodMetrics[] }>('GET', path)).items ?? [];
  } catch (err) {
    throw new Error(`unable to fetch metrics from resource metrics API: ${errorMessage(err)}`);
  }
  if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
  const info: PodMetricsInfo = new Map();
  for (const m of items) {
    const sample = (value: number) => ({ timestampMs: Date.parse(m.timestamp), windowMs: durationMs(m.window), value });
    const usageOf = (c: PodMetrics['containers'][number]) => (c.usage as unknown as Record<string, string>)[resource];
    if (container !== '') {
      const usage = m.containers.find((c) => c.name === container);
      if (usage && usageOf(usage) !== undefined) info.set(m.metadata.name, sample(milliValue(usageOf(usage))));
      continue;
    }
    const usages = m.containers.map(usageOf);
    if (usages.length === 0 || usages.some((u) => u === undefined)) continue;
    info.set(m.metadata.name, sample(usages.reduce((sum, u) => sum + milliValue(u), 0)));
  }
  return info;
}
