import { MetricsSnapshot, UsageSample } from '@skiff/host-tools';

/** The Prometheus text exposition format kubelet's /metrics/cadvisor answers in. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  extraLabels?: Record<string, string>;
  value: (s: UsageSample) => number;
}

// cAdvisor's names, help texts and units.
const FAMILIES: Family[] = [
  {
    name: 'container_cpu_usage_seconds_total',
    help: 'Cumulative cpu time consumed in seconds.',
    type: 'counter',
    extraLabels: { cpu: 'total' },
    value: (s) => s.cpuUsageNs / 1e9,
  },
  {
    name: 'container_memory_working_set_bytes',
    help: 'Current working set in bytes.',
    type: 'gauge',
    value: (s) => s.workingSetBytes,
  },
  { name: 'container_memory_rss', help: 'Size of RSS in bytes.', type: 'gauge', value: (s) => s.rssBytes },
];

/**
 * The last round as cAdvisor's series, each with its sample's timestamp (ms). As in kubelet's cAdvisor, a pod's own
 * cgroup (its containers and a runc pod's pause together) is the series with `container=""`.
 */
export function cadvisorMetricsText(snapshot: MetricsSnapshot): string {
  const series: { labels: Record<string, string>; sample: UsageSample }[] = [];
  for (const p of snapshot.pods) {
    const pod = { namespace: p.pod.namespace, pod: p.pod.name };
    series.push({ labels: { container: '', ...pod }, sample: p.usage.last });
    for (const c of p.containers)
      series.push({ labels: { container: c.container.name, ...pod }, sample: c.usage.last });
  }
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of series)
      lines.push(`${f.name}{${labelText({ ...s.labels, ...f.extraLabels })}} ${f.value(s.sample)} ${s.sample.timeMs}`);
  }
  return `${lines.join('\n')}\n`;
}

// Label names sorted, as client_golang writes them; values escaped as the format says.
function labelText(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}
