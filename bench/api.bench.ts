import { startTestCluster } from '@skiff/testing';
import { CpuShare, formatCpu, startCpuMeter } from './cpu';
import { ApiConfigMapStore, configMap, configMapsPath } from './api-store';
import { KubeHttpClient } from './kube-http';
import { ConfigMapStore, LoadResult, MixedWorkload, payload, runClosedLoop, runOpenLoop, runSequential } from './load';
import { PgConfigMapStore } from './pg-baseline';
import { BenchRow, ratio } from './report';
import { FailureLog, LatencySummary, RequestFailure, summarize } from './stats';
import { measureWatchDelivery, WatchDeliveryResult } from './watch-delivery';

// docs/architecture.md "Performance targets".
const WATCH_P99_TARGET_MS = 50;
// A mutating call's p99 within 2× raw Postgres's doing the same writes; closed-loop throughput ≥ 0.9× its rate.
const STEADY_P99_VS_PG = 2;
const MAX_RATE_VS_PG = 0.9;

// Sized so the whole bench stays around 2–3 minutes on 2 cores.
const SEQ_COUNT = 500;
const SEQ_WARMUP = 50;
const LIST_SIZE = 100;
const STEADY_RATE = 200;
const STEADY_MS = 30_000;
const MAX_WORKERS = 16;
const MAX_MS = 10_000;
const WATCHERS = 500;
const WATCH_RATE = 50;
const WATCH_MS = 20_000;
const LOAD_NAMESPACES = ['bench-load-0', 'bench-load-1', 'bench-load-2', 'bench-load-3'];

export interface ApiBenchResults {
  rows: BenchRow[];
  sequential: Record<string, LatencySummary>;
  steady: { api: LoadSummary; postgres: LoadSummary };
  maxThroughput: { api: LoadSummary; postgres: LoadSummary };
  watch: WatchDeliveryResult;
  failures: (RequestFailure & { count: number; phase: string })[];
  cpu: Record<string, CpuShare>;
}

export interface LoadSummary {
  latency: LatencySummary;
  rate: number;
  ok: number;
  failed: number;
  issued: number;
  skipped: number;
  mix: Record<string, number>;
}

type Log = (line: string) => void;

/** The API benchmark: its own cluster, every phase in turn, the cluster removed at the end. */
export async function runApiBench(log: Log): Promise<ApiBenchResults> {
  log('api: starting a test cluster (fresh database, own NATS subjects)');
  const cluster = await startTestCluster();
  const { stack } = cluster;
  const http = new KubeHttpClient(stack, 64);
  const pg = new PgConfigMapStore(cluster.databaseUrl);
  const onSignal = (): void => {
    log('api: interrupted, stopping the cluster');
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    await pg.setup();
    for (const ns of ['bench-seq', 'bench-list', 'bench-watch', ...LOAD_NAMESPACES]) {
      await http.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    const api = new ApiConfigMapStore(http);
    const failures: ApiBenchResults['failures'] = [];
    const keep = (phase: string, f: FailureLog): void =>
      void failures.push(...f.entries().map((e) => ({ ...e, phase })));
    const cpu: Record<string, CpuShare> = {};
    // Wraps a phase to record how busy the gateway and the bench were while it ran.
    const metered = async <T>(phase: string, run: () => Promise<T>): Promise<T> => {
      const stop = startCpuMeter(stack.services.get('api-gateway')?.child.pid);
      const out = await run();
      cpu[phase] = stop();
      log(`api:   ${phase} done; ${formatCpu(cpu[phase])}`);
      return out;
    };

    const sequential = await metered('sequential', () => sequentialPhase(api, pg, http, log));

    log(`api: steady writes ${STEADY_RATE}/s (open loop) … ${STEADY_MS / 1000} s`);
    const steadyApi = await metered('steady API', () => steadyPhase(api, 'steady', (line) => log(`api:   ${line}`)));
    keep('steady API', steadyApi.failures);
    log(`api: steady writes ${STEADY_RATE}/s against Postgres directly … ${STEADY_MS / 1000} s`);
    const steadyPg = await metered('steady Postgres', () => steadyPhase(pg, 'steady', (line) => log(`api:   ${line}`)));
    keep('steady Postgres', steadyPg.failures);

    log(`api: max throughput, ${MAX_WORKERS} closed-loop writers … ${MAX_MS / 1000} s (API, then Postgres)`);
    const maxApi = await metered('max API', () => maxPhase(api));
    keep('max API', maxApi.failures);
    const maxPg = await metered('max Postgres', () => maxPhase(pg));
    keep('max Postgres', maxPg.failures);

    log(`api: watch delivery, opening ${WATCHERS} watches, then ${WATCH_RATE} writes/s … ${WATCH_MS / 1000} s`);
    const watchFailures = new FailureLog();
    const watch = await metered('watch', () =>
      measureWatchDelivery(
        stack,
        http,
        {
          namespace: 'bench-watch',
          watchers: WATCHERS,
          writesPerSec: WATCH_RATE,
          durationMs: WATCH_MS,
          drainMs: 15_000,
          databaseUrl: cluster.databaseUrl,
        },
        watchFailures,
        (line) => log(`api:   ${line}`),
      ),
    );
    keep('watch', watchFailures);

    const results = {
      sequential,
      steady: { api: steadyApi.summary, postgres: steadyPg.summary },
      maxThroughput: { api: maxApi.summary, postgres: maxPg.summary },
      watch,
      failures,
      cpu,
    };
    return { ...results, rows: buildRows(results) };
  } finally {
    process.removeListener('SIGINT', onSignal);
    http.close();
    await pg.close().catch(() => undefined);
    log('api: stopping the test cluster');
    await cluster.stop();
  }
}

async function sequentialPhase(
  api: ApiConfigMapStore,
  pg: PgConfigMapStore,
  http: KubeHttpClient,
  log: Log,
): Promise<Record<string, LatencySummary>> {
  const out: Record<string, LatencySummary> = {};
  const n = SEQ_COUNT + SEQ_WARMUP;
  const measure = async (label: string, call: (i: number) => Promise<void>): Promise<void> => {
    out[label] = summarize(await runSequential(SEQ_COUNT, SEQ_WARMUP, call));
  };
  log(`api: sequential single-object calls, ${SEQ_COUNT} each after ${SEQ_WARMUP} warm-up`);
  const rvs: string[] = new Array<string>(n);
  const ns = 'bench-seq';
  await measure('create', async (i) => void (rvs[i] = await api.create(ns, `seq-${i}`, payload(i))));
  await measure('get', async (i) => void (await api.get(ns, `seq-${i}`)));
  await measure('update', async (i) => void (rvs[i] = await api.update(ns, `seq-${i}`, rvs[i], payload(i + 1))));
  await measure('patch', async (i) => void (await api.patch(ns, `seq-${i}`, { patched: String(i) })));
  await measure('delete', async (i) => void (await api.remove(ns, `seq-${i}`)));
  for (let i = 0; i < LIST_SIZE; i++) {
    await http.send('POST', configMapsPath('bench-list'), configMap('bench-list', `item-${i}`, payload(i)));
  }
  await measure('list', async () => void (await http.send('GET', configMapsPath('bench-list'))));

  log('api: sequential single-object transactions against Postgres directly');
  const pgRvs: string[] = new Array<string>(n);
  await measure('pg create', async (i) => void (pgRvs[i] = await pg.create(ns, `seq-${i}`, payload(i))));
  await measure('pg get', async (i) => void (await pg.get(ns, `seq-${i}`)));
  await measure('pg update', async (i) => void (pgRvs[i] = await pg.update(ns, `seq-${i}`, pgRvs[i], payload(i + 1))));
  return out;
}

interface PhaseOutcome {
  summary: LoadSummary;
  failures: FailureLog;
}

function outcome(result: LoadResult, work: MixedWorkload): PhaseOutcome {
  return {
    summary: {
      latency: summarize(result.latencies),
      rate: result.rate,
      ok: result.ok,
      failed: result.failed,
      issued: result.issued,
      skipped: result.skipped,
      mix: { ...work.counts },
    },
    failures: work.failures,
  };
}

async function steadyPhase(store: ConfigMapStore, prefix: string, progress: Log): Promise<PhaseOutcome> {
  const work = new MixedWorkload(store, LOAD_NAMESPACES, prefix, new FailureLog());
  const result = await runOpenLoop(STEADY_RATE, STEADY_MS, () => work.once(), progress);
  return outcome(result, work);
}

async function maxPhase(store: ConfigMapStore): Promise<PhaseOutcome> {
  const work = new MixedWorkload(store, LOAD_NAMESPACES, 'max', new FailureLog());
  const result = await runClosedLoop(MAX_WORKERS, MAX_MS, () => work.once());
  return outcome(result, work);
}

function buildRows(r: Omit<ApiBenchResults, 'rows'>): BenchRow[] {
  const s = r.sequential;
  const vsPg = (api: string, floor: string): string =>
    `vs Postgres p50 ${ratio(s[api].p50, s[floor].p50)}, p99 ${ratio(s[api].p99, s[floor].p99)}`;
  const errors = (l: LoadSummary): string =>
    `errors ${l.failed}${l.skipped ? `, SATURATED: ${l.skipped} due writes not sent (2 s backlog)` : ''}`;
  const w = r.watch;
  return [
    { label: 'create ConfigMap (sequential)', latency: s.create, note: vsPg('create', 'pg create') },
    { label: 'get ConfigMap (sequential)', latency: s.get, note: vsPg('get', 'pg get') },
    { label: 'update ConfigMap, PUT with rv (sequential)', latency: s.update, note: vsPg('update', 'pg update') },
    { label: 'merge-patch ConfigMap (sequential)', latency: s.patch },
    { label: 'delete ConfigMap (sequential)', latency: s.delete },
    { label: `list namespace, ${LIST_SIZE} ConfigMaps (sequential)`, latency: s.list },
    { label: '  Postgres baseline: create tx', latency: s['pg create'] },
    { label: '  Postgres baseline: get', latency: s['pg get'] },
    { label: '  Postgres baseline: update tx', latency: s['pg update'] },
    {
      label: `steady ${STEADY_RATE} writes/s (API)`,
      latency: r.steady.api.latency,
      rate: r.steady.api.rate,
      note: `${errors(r.steady.api)}; target p99 ≤ ${STEADY_P99_VS_PG}× Postgres ${verdict(r.steady.api.latency.p99 <= STEADY_P99_VS_PG * r.steady.postgres.latency.p99)}`,
    },
    {
      label: `steady ${STEADY_RATE} writes/s (Postgres baseline)`,
      latency: r.steady.postgres.latency,
      rate: r.steady.postgres.rate,
      note: `${errors(r.steady.postgres)}; API/Postgres p50 ${ratio(r.steady.api.latency.p50, r.steady.postgres.latency.p50)}, p99 ${ratio(r.steady.api.latency.p99, r.steady.postgres.latency.p99)}`,
    },
    {
      label: `max throughput, ${MAX_WORKERS} writers (API)`,
      latency: r.maxThroughput.api.latency,
      rate: r.maxThroughput.api.rate,
      note: errors(r.maxThroughput.api),
    },
    {
      label: `max throughput, ${MAX_WORKERS} writers (Postgres)`,
      latency: r.maxThroughput.postgres.latency,
      rate: r.maxThroughput.postgres.rate,
      note: `${errors(r.maxThroughput.postgres)}; API/Postgres rate ${ratio(r.maxThroughput.api.rate, r.maxThroughput.postgres.rate)}; target ≥ ×${MAX_RATE_VS_PG} ${verdict(r.maxThroughput.api.rate >= MAX_RATE_VS_PG * r.maxThroughput.postgres.rate)}`,
    },
    {
      label: `watch delivery, ${w.watchers} watchers`,
      latency: w.fromCommit,
      note: `events ${w.delivered}/${w.expected}; from outbox committed_at; target p99 ≤ ${WATCH_P99_TARGET_MS}ms ${watchVerdict(w)}${w.outOfOrder ? `; ${w.outOfOrder} OUT OF ORDER` : ''}`,
    },
    { label: '  same, from write response (lower bound)', latency: w.fromResponse },
    { label: '  same, from write send (upper bound)', latency: w.fromSend },
    {
      label: `  writes during watch (${WATCH_RATE}/s, API)`,
      latency: w.writeLatency,
      note: `${w.writesOk} ok${w.writesSkipped ? `, SATURATED: ${w.writesSkipped} not sent` : ''}`,
    },
  ];
}

function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

// committed_at is the transaction start and the response comes after commit, so the true
// commit→receive p99 lies between the two figures.
function watchVerdict(w: WatchDeliveryResult): string {
  if (w.delivered < w.expected) return 'MISSED (events lost)';
  if (w.fromCommit.p99 <= WATCH_P99_TARGET_MS) return 'met';
  if (w.fromResponse.p99 > WATCH_P99_TARGET_MS) return 'MISSED';
  return `unclear (bounds straddle ${WATCH_P99_TARGET_MS}ms)`;
}
