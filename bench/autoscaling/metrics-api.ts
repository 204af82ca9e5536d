import { loadInfraConfig } from '@skiff/config';
import { PodStats } from '@skiff/kube-types';
import { HOST_HEARTBEAT_MS, SandboxHostRegistry } from '@skiff/messaging';
import { startTestCluster, StatsSummaryAgentDouble } from '@skiff/testing';
import IORedis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { KubeHttpClient } from '../kube-http';
import { BenchRow } from '../report';
import { summarize } from '../stats';

const NAMESPACE = 'bench-metrics';
const NODE = 'virtual-kubelet-bench';
const CREATE_CONCURRENCY = 16;
const CACHED_SAMPLES = 100;
const FRESH_SAMPLES = 10;
// Longer than the API server keeps the hosts' summaries, so each of these reads asks the host again.
const FRESH_GAP_MS = 6_000;

export interface MetricsApiFigures {
  rows: BenchRow[];
  cachedMs: number[];
  freshMs: number[];
  podListMs: number[];
}

/**
 * metrics.k8s.io with `pods` pods: listing every PodMetrics through the API server, from summaries it keeps a few
 * seconds and from a fresh collection, beside listing the same Pods (the baseline). The pods' stats come from a
 * simulated host (StatsSummaryAgentDouble, registered as an agent); nothing runs in them.
 */
export async function measureMetricsApi(pods: number, log: (line: string) => void): Promise<MetricsApiFigures> {
  log(`autoscaling: metrics API with ${pods} pods on a simulated host`);
  const cluster = await startTestCluster({}, ['api-gateway']);
  const http = new KubeHttpClient(cluster.stack, 4);
  const redis = new IORedis(loadInfraConfig().redisUrl);
  const stats: PodStats[] = [];
  const host = new StatsSummaryAgentDouble(() => {
    const time = new Date().toISOString();
    return { node: { nodeName: NODE }, pods: stats.map((p) => ({ ...p, startTime: time })) };
  });
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    await http.send('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
    let next = 0;
    const create = async () => {
      while (next < pods) {
        const i = next++;
        const created = await http.send<{ metadata: { name: string; uid: string } }>(
          'POST',
          `/api/v1/namespaces/${NAMESPACE}/pods`,
          {
            metadata: { name: `p-${i}`, labels: { app: `a${i % 10}` } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          },
        );
        const time = new Date().toISOString();
        stats.push({
          podRef: { name: created.body.metadata.name, namespace: NAMESPACE, uid: created.body.metadata.uid },
          startTime: time,
          containers: [
            {
              name: 'c',
              startTime: time,
              cpu: { time, usageNanoCores: 1_000_000 + i, usageCoreNanoSeconds: 1e9 + i },
              memory: { time, workingSetBytes: 8_388_608 + i * 4096 },
            },
          ],
        });
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, create));
    const registry = new SandboxHostRegistry(redis, cluster.prefix);
    const record = {
      hostId: 'simulated-host',
      zone: 'bench',
      endpoint: await host.start(cluster.stateDir, 'simulated-host'),
      hostIP: '127.0.0.1',
      capacity: { cpuMilli: 64_000, memoryBytes: 256 * 2 ** 30, pods: pods * 2 },
      runtimeHandlers: ['runc'],
    };
    // The simulated host's heartbeat, as an agent's: a host silent for 40 s is stale and no longer asked.
    const beat = () => registry.register({ ...record, heartbeatAt: new Date().toISOString() });
    await beat();
    heartbeat = setInterval(() => void beat().catch(() => undefined), HOST_HEARTBEAT_MS);

    const time = async (path: string, expect: number) => {
      const t0 = performance.now();
      const res = await http.send<{ items: unknown[] }>('GET', path);
      const ms = performance.now() - t0;
      if (res.body.items.length !== expect) throw new Error(`${path}: ${res.body.items.length} items, not ${expect}`);
      return ms;
    };
    const metricsPath = '/apis/metrics.k8s.io/v1beta1/pods';
    await time(metricsPath, pods); // warm-up: the code paths' first runs
    await time('/api/v1/pods', pods);
    const cachedMs: number[] = [];
    const podListMs: number[] = [];
    log(`autoscaling: ${CACHED_SAMPLES} lists of PodMetrics and of Pods, alternating`);
    for (let i = 0; i < CACHED_SAMPLES; i++) {
      cachedMs.push(await time(metricsPath, pods));
      podListMs.push(await time('/api/v1/pods', pods));
    }
    const freshMs: number[] = [];
    log(`autoscaling: ${FRESH_SAMPLES} lists of PodMetrics, each after the summaries expired`);
    for (let i = 0; i < FRESH_SAMPLES; i++) {
      await new Promise((r) => setTimeout(r, FRESH_GAP_MS));
      freshMs.push(await time(metricsPath, pods));
    }
    const ratio = (a: number[]) => (summarize(a).p50 / summarize(podListMs).p50).toFixed(2);
    return {
      cachedMs,
      freshMs,
      podListMs,
      rows: [
        {
          label: `baseline: list ${pods} Pods`,
          latency: summarize(podListMs),
          note: 'the same pods, from the API store',
        },
        {
          label: `metrics API: list ${pods} PodMetrics`,
          latency: summarize(cachedMs),
          note: `summaries kept by the API server; p50 ×${ratio(cachedMs)} the Pod list`,
        },
        {
          label: `metrics API: list ${pods} PodMetrics, fresh`,
          latency: summarize(freshMs),
          note: `the host asked again; p50 ×${ratio(freshMs)} the Pod list`,
        },
      ],
    };
  } finally {
    clearInterval(heartbeat);
    http.close();
    await host.stop();
    redis.disconnect();
    await cluster.stop();
  }
}
