import { errorMessage } from '@skiff/api-machinery';
import { startTestCluster, TestCluster } from '@skiff/testing';
import { measureAgentMetricsCost } from './autoscaling/agent-metrics';
import { measureMetricsApi, MetricsApiFigures } from './autoscaling/metrics-api';
import { BenchRow } from './report';
import { summarize } from './stats';

type Log = (line: string) => void;

const NAMESPACE = 'bench-autoscaling';
const COST_PODS = 100;
const API_PODS = 1_000;
const REACTION_ROUNDS = 3;
// The load an exec starts in the running pod: a busy loop that ends by itself.
const LOAD_SECONDS = 75;

export interface AutoscalingBenchResults {
  rows: BenchRow[];
  agentCost?: Awaited<ReturnType<typeof measureAgentMetricsCost>>;
  metricsApi?: Omit<MetricsApiFigures, 'rows'>;
  reactionMs: number[];
  problems: string[];
}

/**
 * The autoscaling benchmark: the agent's CPU for sampling 100 pods' cgroups at 15 s resolution; metrics API latency
 * with 1 000 pods (a simulated host serves their stats); and an HPA's reaction on a real runc pod with the default
 * settings (15 s metrics resolution, 15 s HPA sync): from the moment a busy loop starts in the pod to the first
 * scale-up, p50 over a few rounds.
 */
export async function runAutoscalingBench(log: Log): Promise<AutoscalingBenchResults> {
  const out: AutoscalingBenchResults = { rows: [], reactionMs: [], problems: [] };

  log(`autoscaling: the agent's metrics sampler over ${COST_PODS} real cgroups`);
  try {
    const cost = await measureAgentMetricsCost(COST_PODS, log);
    out.agentCost = cost;
    out.rows.push({
      label: `agent metrics: one round over ${COST_PODS} pods`,
      note: `CPU ${cost.cpuMsPerRound.median.toFixed(1)} ms median, ${cost.cpuMsPerRound.p99.toFixed(1)} ms p99 (${cost.rounds} rounds) = ${cost.corePercentPer100PodsAt15s.toFixed(2)} % of a core per 100 pods at 15 s`,
    });
  } catch (err) {
    out.problems.push(`agent metrics cost: ${errorMessage(err)}`);
  }

  try {
    const { rows, ...figures } = await measureMetricsApi(API_PODS, log);
    out.metricsApi = figures;
    out.rows.push(...rows);
  } catch (err) {
    out.problems.push(`metrics API: ${errorMessage(err)}`);
  }

  log('autoscaling: starting a test cluster with a sandbox host for the HPA reaction (default settings)');
  const cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  try {
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    out.reactionMs = await measureReaction(cluster, log, out.problems);
    if (out.reactionMs.length)
      out.rows.push({
        label: 'HPA reaction: load start → first scale-up',
        latency: summarize(out.reactionMs),
        note: `${out.reactionMs.length} rounds; goal: as upstream (metrics window + sync period)`,
      });
  } catch (err) {
    out.problems.push(`HPA reaction: ${errorMessage(err)}`);
  } finally {
    log('autoscaling: stopping the cluster');
    await cluster.stop();
  }
  return out;
}

const WORKLOAD = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: busybox
          command: [sh, -c, 'trap "exit 0" TERM; sleep 36000 & wait']
          resources: {requests: {cpu: 100m}, limits: {cpu: 300m}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  minReplicas: 1
  maxReplicas: 2
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
`;

async function measureReaction(cluster: TestCluster, log: Log, problems: string[]): Promise<number[]> {
  const k = (...args: string[]) => cluster.kubectl(['-n', NAMESPACE, ...args], { timeoutMs: 30_000 });
  const applied = await cluster.kubectl(['apply', '-n', NAMESPACE, '-f', '-'], { stdin: WORKLOAD });
  if (applied.code !== 0) throw new Error(applied.stderr);
  const replicas = async () =>
    Number((await k('get', 'deployment/app', '-o', 'jsonpath={.spec.replicas}')).stdout || Number.NaN);
  const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await ok()) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    problems.push(`HPA reaction: timed out waiting for ${what}`);
    return false;
  };
  const runningPod = async () => {
    const r = await k('get', 'pods', '-l', 'app=app', '--field-selector=status.phase=Running', '-o', 'name');
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  const times: number[] = [];
  for (let round = 1; round <= REACTION_ROUNDS; round++) {
    // A quiet start: one pod, Running, with quiet samples behind it.
    if (
      !(await until('one replica', async () => (await replicas()) === 1 && (await runningPod()).length === 1, 300_000))
    )
      break;
    await new Promise((r) => setTimeout(r, 35_000));
    const [pod] = await runningPod();
    const started = Date.now();
    const load = cluster.kubectl(
      [
        '-n',
        NAMESPACE,
        'exec',
        pod.replace('pod/', ''),
        '--',
        'timeout',
        String(LOAD_SECONDS),
        'sh',
        '-c',
        'while :; do :; done',
      ],
      { timeoutMs: (LOAD_SECONDS + 30) * 1_000 },
    );
    const reacted = await until('the first scale-up', async () => (await replicas()) > 1, LOAD_SECONDS * 1_000);
    if (reacted) {
      times.push(Date.now() - started);
      log(
        `autoscaling: round ${round}: scaled up ${((Date.now() - started) / 1000).toFixed(1)} s after the load began`,
      );
    }
    await load;
  }
  return times;
}
