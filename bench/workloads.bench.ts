import { startTestCluster, TestCluster } from '@skiff/testing';
import { performance } from 'node:perf_hooks';
import { processCpuSeconds } from './cpu';
import { Agent } from 'node:https';
import { KubeHttpClient, openWatchStream, WatchStream } from './kube-http';
import { IDLE_COMMAND } from './pods/bare-sandbox';
import { isRunning, PodView, PodWatch } from './pods/pod-watch';
import { BenchRow } from './report';
import { summarize } from './stats';
import { errorMessage } from '@skiff/api-machinery';

// Deployment scale 0 → REPLICAS, against the same pods created by the bench's own POSTs: 1 000 on the simulated
// host (the control plane's goal is ≥ 300 pods/s there), 200 on a real one.
const REPLICAS = { simulated: 1000, runc: 200 } as const;
const SIMULATED_GOAL_PODS_PER_S = 300;
const DIRECT_CONCURRENCY = 16;
const SIMULATED_ROUNDS = 3;
const WARM_UP_PODS = 20;
const SIMULATED_NODE = 'simulated-node';
const NAMESPACE = 'bench-workloads';

type Log = (line: string) => void;
type Mode = 'simulated' | 'runc';

export interface WorkloadRun {
  mode: Mode;
  path: 'deployment' | 'direct';
  /** first request → every pod Running and Ready on the watch */
  allReadyMs: number;
  podsPerSecond: number;
  /** first request → each pod Running and Ready, ms */
  perPodMs: number[];
  schedulerCores: number;
  gatewayCores: number;
  ready: number;
}

export interface WorkloadsBenchResults {
  rows: BenchRow[];
  runs: WorkloadRun[];
  problems: string[];
}

/**
 * Pods from a Deployment scaled 0 → 200, timed to all Ready, beside the same 200 pods POSTed
 * by the bench (the baseline without a controller). "simulated": no sandbox host — the bench
 * plays the kubelet (pods are bound to a node no agent serves and the bench writes them Running
 * and Ready), so only the controllers and the API server are measured; "runc": a real sandbox host.
 */
export async function runWorkloadsBench(log: Log): Promise<WorkloadsBenchResults> {
  const out: WorkloadsBenchResults = { rows: [], runs: [], problems: [] };
  for (const mode of ['simulated', 'runc'] as const) {
    const services =
      mode === 'simulated'
        ? (['api-gateway', 'scheduler'] as const)
        : (['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent'] as const);
    log(`workloads: starting a test cluster for the ${mode} runs (${services.join(', ')})`);
    const cluster = await startTestCluster({}, [...services]);
    const bench = new WorkloadBench(cluster, mode, log);
    try {
      await bench.open();
      // Not measured: the image pull and first sandbox (runc), the code paths' first runs (JIT).
      log('workloads: warm-up, both paths (not measured)');
      for (const path of ['direct', 'deployment'] as const) await bench.run(path, mode === 'runc' ? 1 : WARM_UP_PODS);
      const rounds = mode === 'simulated' ? SIMULATED_ROUNDS : 1;
      // Side by side, alternating, so a busy moment of the machine does not land on one path only.
      for (let i = 0; i < rounds; i++) {
        for (const path of ['direct', 'deployment'] as const) out.runs.push(await bench.run(path, REPLICAS[mode]));
      }
      out.problems.push(...bench.problems());
    } finally {
      bench.close();
      log(`workloads: stopping the ${mode} cluster`);
      await cluster.stop();
    }
  }
  out.rows = rowsOf(out.runs);
  return out;
}

class WorkloadBench {
  private readonly http: KubeHttpClient;
  private readonly watch: PodWatch;
  private readonly errors: string[] = [];
  private readonly kubeletAgent: Agent;
  private kubelet?: WatchStream;
  private round = 0;

  constructor(
    private readonly cluster: TestCluster,
    private readonly mode: Mode,
    private readonly log: Log,
  ) {
    this.http = new KubeHttpClient(cluster.stack, 64);
    this.watch = new PodWatch(cluster.stack, this.http, NAMESPACE);
    this.kubeletAgent = new Agent({ keepAlive: false, ca: cluster.stack.ca });
  }

  async open(): Promise<void> {
    await this.http.send('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    await this.watch.open();
    if (this.mode === 'simulated') {
      const path = `/api/v1/namespaces/${NAMESPACE}/pods?watch=true&timeoutSeconds=3600`;
      this.kubelet = openWatchStream(this.cluster.stack, this.kubeletAgent, path, (line) => this.simulateKubelet(line));
      await this.kubelet.opened;
    }
  }

  close(): void {
    this.kubelet?.close();
    this.kubeletAgent.destroy();
    this.watch.close();
    this.http.close();
  }

  problems(): string[] {
    return [...this.errors, ...this.watch.errors];
  }

  async run(path: 'deployment' | 'direct', n: number): Promise<WorkloadRun> {
    const tag = `r${this.round++}`;
    this.log(`workloads: ${this.mode} ${path} ×${n} (${tag})`);
    const pids = {
      scheduler: this.cluster.stack.services.get('scheduler')?.child.pid,
      gateway: this.cluster.stack.services.get('api-gateway')?.child.pid,
    };
    const cpu0 = { scheduler: processCpuSeconds(pids.scheduler), gateway: processCpuSeconds(pids.gateway) };
    const t0 = performance.now();
    if (path === 'direct') await this.postPods(tag, n);
    else await this.scaleDeployment(tag, n);
    const mine = (): PodView[] =>
      [...this.watch.timelines.values()].filter(
        (t) => t.name.startsWith(`${tag}-`) && t.runningAt !== undefined && t.deletedAt === undefined,
      ) as unknown as PodView[];
    let reported = 0;
    const step = Math.max(50, n / 10);
    const ok = await this.watch.until(() => {
      const running = mine().length;
      if (running >= reported + step) this.log(`workloads:   … ${(reported = running - (running % step))}/${n} Ready`);
      return running >= n;
    }, 300_000);
    const allReadyMs = performance.now() - t0;
    const wall = allReadyMs / 1000;
    const timelines = [...this.watch.timelines.values()].filter(
      (t) => t.name.startsWith(`${tag}-`) && t.runningAt !== undefined,
    );
    if (!ok) this.errors.push(`${this.mode} ${path}: only ${timelines.length}/${n} Ready within 300 s`);
    const run: WorkloadRun = {
      mode: this.mode,
      path,
      allReadyMs,
      podsPerSecond: timelines.length / wall,
      perPodMs: timelines.map((t) => t.runningAt! - t0),
      schedulerCores: (processCpuSeconds(pids.scheduler) - cpu0.scheduler) / wall,
      gatewayCores: (processCpuSeconds(pids.gateway) - cpu0.gateway) / wall,
      ready: timelines.length,
    };
    this.log(
      `workloads:   all ${run.ready} Ready in ${(allReadyMs / 1000).toFixed(1)} s (${run.podsPerSecond.toFixed(1)} pods/s); cpu: scheduler ${run.schedulerCores.toFixed(2)} cores, gateway ${run.gatewayCores.toFixed(2)}`,
    );
    await this.clear(tag, path);
    return run;
  }

  private template(tag: string): object {
    const spec: Record<string, unknown> = {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'idle', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: IDLE_COMMAND }],
    };
    if (this.mode === 'simulated') spec.nodeName = SIMULATED_NODE;
    return { metadata: { labels: { app: 'bench', round: tag } }, spec };
  }

  private async postPods(tag: string, n: number): Promise<void> {
    const t = this.template(tag) as { metadata: object; spec: object };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        await this.http.send('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { ...t.metadata, name: `${tag}-${i}` },
          spec: t.spec,
        });
      }
    };
    await Promise.all(Array.from({ length: DIRECT_CONCURRENCY }, worker));
  }

  private async scaleDeployment(tag: string, n: number): Promise<void> {
    const base = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;
    await this.http.send('POST', base, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: tag },
      spec: { replicas: 0, selector: { matchLabels: { round: tag } }, template: this.template(tag) },
    });
    // The controller has seen the empty Deployment once it reports on it: only the scale is timed from here.
    await waitFor(
      async () =>
        ((await this.http.send<{ status?: { observedGeneration?: number } }>('GET', `${base}/${tag}`)).body.status
          ?.observedGeneration ?? 0) >= 1,
      30_000,
    );
    await this.http.send('PATCH', `${base}/${tag}/scale`, { spec: { replicas: n } }, 'application/merge-patch+json');
  }

  private async clear(tag: string, path: 'deployment' | 'direct'): Promise<void> {
    const t0 = performance.now();
    if (path === 'deployment')
      await this.http.send('DELETE', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${tag}`);
    else await this.http.send('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=round%3D${tag}`);
    const gone = await this.watch.until(
      () =>
        [...this.watch.timelines.values()].every(
          (t) => !t.name.startsWith(`${tag}-`) || t.deletedAt !== undefined || t.uid === undefined,
        ),
      180_000,
    );
    if (!gone) this.errors.push(`${this.mode} ${path}: pods of ${tag} not deleted within 180 s`);
    this.log(`workloads:   deleted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** The kubelet's part when no sandbox host runs, from a watch: new pods go Running and Ready, deleted ones go away. */
  private simulateKubelet(line: string): void {
    if (!line.trim()) return;
    const { type, object: pod } = JSON.parse(line) as {
      type: string;
      object: PodView & { metadata: { deletionTimestamp?: string } };
    };
    const path = `/api/v1/namespaces/${NAMESPACE}/pods/${pod.metadata.name}`;
    const fail = (err: unknown): void => void this.errors.push(`simulated kubelet: ${errorMessage(err)}`);
    if (type === 'MODIFIED' && pod.metadata.deletionTimestamp) {
      this.http
        .send('DELETE', path, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } })
        .catch((err: unknown) => /not found|precondition/i.test(errorMessage(err)) || fail(err));
      return;
    }
    if (type !== 'ADDED' || isRunning(pod)) return;
    const now = new Date().toISOString();
    const status = {
      phase: 'Running',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((t) => ({
        type: t,
        status: 'True',
        lastTransitionTime: now,
      })),
      containerStatuses: [
        {
          name: 'idle',
          ready: true,
          started: true,
          restartCount: 0,
          image: 'busybox',
          imageID: '',
          state: { running: { startedAt: now } },
        },
      ],
    };
    this.http.send('PATCH', `${path}/status`, { status }, 'application/merge-patch+json').catch(fail);
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** One row per mode and path: per-pod latency pooled over the rounds, the rest as medians of the rounds. */
function rowsOf(runs: WorkloadRun[]): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const mode of ['simulated', 'runc'] as const) {
    const of = (path: 'deployment' | 'direct'): WorkloadRun[] => runs.filter((r) => r.mode === mode && r.path === path);
    const directAll = median(of('direct').map((r) => r.allReadyMs));
    for (const path of ['direct', 'deployment'] as const) {
      const sample = of(path);
      if (sample.length === 0) continue;
      const all = median(sample.map((r) => r.allReadyMs));
      const ratio = path === 'deployment' ? `, ×${(all / directAll).toFixed(2)} of direct` : '';
      const rate = median(sample.map((r) => r.podsPerSecond));
      const goal =
        mode === 'simulated' && path === 'deployment'
          ? `; goal ≥ ${SIMULATED_GOAL_PODS_PER_S} pods/s ${rate >= SIMULATED_GOAL_PODS_PER_S ? 'met' : 'MISSED'}`
          : '';
      const n = REPLICAS[mode];
      rows.push({
        label: `${mode}: ${path === 'direct' ? `${n} pods POSTed by the bench` : `Deployment scale 0 → ${n}`}`,
        latency: summarize(sample.flatMap((r) => r.perPodMs)),
        rate,
        note: `all Ready ${(all / 1000).toFixed(1)} s${ratio}${goal}; scheduler ${median(sample.map((r) => r.schedulerCores)).toFixed(2)} cores, gateway ${median(sample.map((r) => r.gatewayCores)).toFixed(2)} (${sample.length} round${sample.length > 1 ? 's' : ''})`,
      });
    }
  }
  return rows;
}
