import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '@skiff/stack';
import { runApiBench } from './api.bench';
import { runFootprintBench } from './footprint.bench';
import { runDnsBench } from './dns.bench';
import { runEdgeBench } from './edge.bench';
import { runServicesBench } from './services.bench';
import { runStorageBench } from './storage.bench';
import { runLogsBench } from './logs.bench';
import { runAutoscalingBench } from './autoscaling.bench';
import { runPodsBench } from './pods.bench';
import { runWorkloadsBench } from './workloads.bench';
import { runFuzzBench } from './fuzz.bench';
import { formatBreakdown } from './pods/host-probe';
import { formatCpuSplit } from './cpu';
import { BenchRow, formatTable, writeJsonResults } from './report';
import { errorDetail } from '@skiff/api-machinery';

const REPO_ROOT = repoRoot();

// Timestamped progress lines so a slow phase is visible while it runs.
const started = Date.now();
function log(line: string): void {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

// `npm run bench -- pods` or SKIFF_BENCH=api,pods picks benchmarks; all of them by default.
const BENCHES = {
  api: runApi,
  pods: runPods,
  workloads: runWorkloads,
  footprint: runFootprint,
  network: runNetwork,
  edge: runEdge,
  storage: runStorage,
  logs: runLogs,
  autoscaling: runAutoscaling,
  fuzz: runFuzz,
} as const satisfies Record<string, (cores: number) => Promise<void>>;
type BenchName = keyof typeof BENCHES;

function selectedBenches(): BenchName[] {
  const asked = [
    ...process.argv.slice(2).filter((a) => !a.startsWith('-')),
    ...(process.env.SKIFF_BENCH ?? '').split(','),
  ]
    .map((s) => s.trim())
    .filter(Boolean);
  const known = Object.keys(BENCHES) as BenchName[];
  const unknown = asked.filter((a) => !known.includes(a as BenchName));
  if (unknown.length)
    throw new Error(`unknown benchmark ${unknown.join(', ')} (argv or SKIFF_BENCH; known: ${known.join(', ')})`);
  return asked.length ? known.filter((k) => asked.includes(k)) : known;
}

/** `npm run bench`: every benchmark in bench/ in turn (API, pods, workloads, footprint, network, edge, storage, logs, autoscaling, fuzz), or those named. */
async function main(): Promise<void> {
  const cores = availableParallelism();
  const selected = selectedBenches();
  log(
    `skiff bench: node ${process.version}, ${cores} cores, load average ${fmtLoad(loadavg())}; running ${selected.join(', ')}`,
  );
  for (const name of selected) await BENCHES[name](cores);
}

async function runApi(cores: number): Promise<void> {
  // The machine is shared: the load average says how much of it the bench really had.
  const loadBefore = loadavg();
  const api = await runApiBench(log);
  const loadAfter = loadavg();
  process.stdout.write(`\n${formatTable(`API benchmark (${cores} cores, node ${process.version})`, api.rows)}\n`);
  process.stdout.write(
    `load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)} (1/5/15 min; the bench and its gateway share these cores)\n`,
  );
  if (api.failures.length > 0) {
    process.stdout.write('\nfailed requests (phase, op, request, status, message, count):\n');
    for (const f of api.failures)
      process.stdout.write(`  ${f.phase}  ${f.op}  ${f.method} ${f.path}  ${f.status}  ${f.message}  ×${f.count}\n`);
  }
  if (api.watch.errorEvents.length > 0)
    process.stdout.write(`\nwatch problems:\n${api.watch.errorEvents.map((e) => `  ${e}`).join('\n')}\n`);
  const file = writeJsonResults(REPO_ROOT, 'api', {
    node: process.version,
    cores,
    startedAt: new Date(started).toISOString(),
    loadBefore,
    loadAfter,
    ...api,
  });
  process.stdout.write(`\nfigures written to ${path.relative(REPO_ROOT, file)}\n`);
}

async function runPods(cores: number): Promise<void> {
  const loadBefore = loadavg();
  const startedAt = new Date().toISOString();
  const pods = await runPodsBench(log);
  const loadAfter = loadavg();
  process.stdout.write(`\n${formatTable(`Pod benchmark (${cores} cores, node ${process.version})`, pods.rows)}\n`);
  for (const [phase, b] of Object.entries(pods.breakdown))
    process.stdout.write(`median timeline, ${phase}: POST ${formatBreakdown(b)}\n`);
  for (const [phase, c] of Object.entries(pods.cpu))
    process.stdout.write(`CPU, ${phase} (${c.wallS.toFixed(1)} s): ${formatCpuSplit(c, c.pods)}\n`);
  // Sandbox starts are CPU-bound on 2 cores: other work on the machine shows up directly in these figures.
  const busy =
    loadBefore[0] > cores / 2 ? ' — the machine was already BUSY before the run; treat the figures as pessimistic' : '';
  process.stdout.write(
    `load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)} (1/5/15 min; the bench, its cluster and the sandboxes share these cores)${busy}\n`,
  );
  if (pods.skipped.length) process.stdout.write(`skipped (time budget): ${pods.skipped.join(', ')}\n`);
  if (pods.problems.length) process.stdout.write(`\nproblems:\n${pods.problems.map((p) => `  ${p}`).join('\n')}\n`);
  const file = writeJsonResults(REPO_ROOT, 'pods', {
    node: process.version,
    cores,
    startedAt,
    loadBefore,
    loadAfter,
    ...pods,
  });
  process.stdout.write(`\nfigures written to ${path.relative(REPO_ROOT, file)}\n`);
}

async function runWorkloads(cores: number): Promise<void> {
  await runPart(
    cores,
    'workloads',
    () => `Workload benchmark (${cores} cores, node ${process.version}); latency: scale request → each pod Ready`,
    '',
    () => runWorkloadsBench(log),
  );
}

async function runFootprint(cores: number): Promise<void> {
  const startedAt = new Date().toISOString();
  const res = await runFootprintBench(log);
  process.stdout.write(
    `\n${formatTable(`Footprint (${cores} cores, node ${process.version}); RSS, median of samples`, res.rows)}\n`,
  );
  const file = writeJsonResults(REPO_ROOT, 'footprint', { node: process.version, cores, startedAt, ...res });
  process.stdout.write(`\nfigures written to ${path.relative(REPO_ROOT, file)}\n`);
}

async function runNetwork(cores: number): Promise<void> {
  await runPart(
    cores,
    'network-dns',
    (res) =>
      `Cluster DNS (${cores} cores, ${res.records} records, ${res.queries} distinct queries; dnsperf, UDP, loopback)`,
    'dnsperf and both servers share these cores',
    () => runDnsBench(log),
  );
  await runPart(
    cores,
    'network-services',
    () => `Service data plane (${cores} cores, node ${process.version}); wrk latency, propagation`,
    'wrk, the pods and the cluster share these cores',
    () => runServicesBench(log),
  );
}

async function runEdge(cores: number): Promise<void> {
  await runPart(
    cores,
    'edge',
    () => `Edge: SLB, Ingress (${cores} cores, node ${process.version}); wrk from an internet client netns`,
    'wrk, HAProxy, the pods and the cluster share these cores',
    () => runEdgeBench(log),
  );
}

async function runStorage(cores: number): Promise<void> {
  await runPart(
    cores,
    'storage',
    () => `Storage (${cores} cores, node ${process.version}); disks on loop devices, fio inside a runc pod`,
    'fio, the pods and the cluster share these cores',
    () => runStorageBench(log),
  );
}

async function runLogs(cores: number): Promise<void> {
  await runPart(
    cores,
    'logs',
    () =>
      `Logs (${cores} cores, node ${process.version}); a runc container's stdout through the agent, JetStream, log-svc`,
    'the writer, the agent, log-svc, Postgres and the cluster share these cores',
    () => runLogsBench(log),
  );
}

async function runFuzz(cores: number): Promise<void> {
  await runPart(
    cores,
    'fuzz',
    (res) =>
      `Hostile input (${cores} cores, node ${process.version}); ${res.summary.requests} malformed and hostile requests, seed ${res.summary.seed}`,
    'the fuzzer and the API server share these cores',
    () => runFuzzBench(log),
  );
}

async function runAutoscaling(cores: number): Promise<void> {
  await runPart(
    cores,
    'autoscaling',
    () =>
      `Autoscaling (${cores} cores, node ${process.version}); real cgroups and a runc pod, a simulated host for 1 000 pods`,
    'the sandboxes, the agent and the cluster share these cores',
    () => runAutoscalingBench(log),
  );
}

/** One benchmark part: run with the load average around it, print its table and problems, write its figures. */
async function runPart<R extends { rows: BenchRow[]; problems: string[] }>(
  cores: number,
  name: string,
  title: (res: R) => string,
  loadNote: string,
  run: () => Promise<R>,
): Promise<void> {
  const loadBefore = loadavg();
  const startedAt = new Date().toISOString();
  const res = await run();
  const loadAfter = loadavg();
  process.stdout.write(`\n${formatTable(title(res), res.rows)}\n`);
  process.stdout.write(
    `load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)} (1/5/15 min${loadNote ? `; ${loadNote}` : ''})\n`,
  );
  if (res.problems.length) process.stdout.write(`\nproblems:\n${res.problems.map((p) => `  ${p}`).join('\n')}\n`);
  const file = writeJsonResults(REPO_ROOT, name, {
    node: process.version,
    cores,
    startedAt,
    loadBefore,
    loadAfter,
    ...res,
  });
  process.stdout.write(`\nfigures written to ${path.relative(REPO_ROOT, file)}\n`);
}

function fmtLoad(l: number[]): string {
  return l.map((v) => v.toFixed(2)).join(' ');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${errorDetail(err)}\n`);
  process.exitCode = 1;
});
