import { errorMessage } from '@skiff/api-machinery';
import { startTestCluster } from '@skiff/testing';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { processCpuSeconds } from './cpu';
import { KubeHttpClient } from './kube-http';
import { BenchRow } from './report';
import { summarize } from './stats';

type Log = (line: string) => void;

const NAMESPACE = 'bench-logs';
const STORE = 'bench';
// The writer: RATE lines/s for SECONDS, in tenth-of-a-second bursts (busybox awk, then usleep).
const RATE = 60_000;
const SECONDS = 20;
const TOTAL = RATE * SECONDS;
const QUERY_ROWS = 10_000_000;
const LOAD_CHUNK = 1_000_000;
const QUERIES = 40;
const LINE = (j: number, i: number) => `bench line ${j}-${i} word${i % 1000} lorem ipsum dolor sit amet`;

export interface LogsBenchResults {
  rows: BenchRow[];
  ingest?: { linesPerSecond: number; delayMs: number[]; agentCpuSecondsPer1kLps: number };
  copyLinesPerSecond?: number;
  queryMs: number[];
  problems: string[];
}

interface QueryResult {
  items: unknown[];
  histogram?: { from: string; to: string; count: number }[];
}

/**
 * The logs benchmark: a container writes RATE lines/s for SECONDS to stdout; lines/s until all are queryable and
 * each line's delay (queryable − written, from the arrival curve polled through the API and the written curve of
 * the lines' own CRI times), side by side with a raw COPY of the same lines into Postgres; the agent's CPU per
 * 1 000 lines/s; then keyword queries over 10 M lines in a 1 h window.
 */
export async function runLogsBench(log: Log): Promise<LogsBenchResults> {
  const out: LogsBenchResults = { rows: [], queryMs: [], problems: [] };
  log('logs: starting a test cluster with log-svc and a sandbox host');
  const cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent', 'log-svc']);
  const http = new KubeHttpClient(cluster.stack, 4);
  const base = `/apis/logs.skiff.io/v1/namespaces/${NAMESPACE}/logstores/${STORE}/query`;
  const query = async (params: Record<string, string>) =>
    (await http.send<QueryResult>('GET', `${base}?${new URLSearchParams(params)}`)).body;
  const since = new Date(Date.now() - 60_000).toISOString();
  const count = async () =>
    ((await query({ from: since, histogram: '3600', limit: '1' }).catch(() => undefined))?.histogram ?? []).reduce(
      (n, b) => n + b.count,
      0,
    );
  try {
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    log(`logs: a container writes ${RATE} lines/s for ${SECONDS} s`);
    const agentPid = cluster.stack.services.get('sandbox-agent')?.child.pid;
    const cpu0 = processCpuSeconds(agentPid);
    await http.send('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, writerPod());
    const arrivals: { at: number; count: number }[] = [];
    const t0 = Date.now();
    for (let n = 0; n < TOTAL;) {
      if (Date.now() - t0 > 300_000) throw new Error(`only ${n} of ${TOTAL} lines queryable after 300 s`);
      await new Promise((r) => setTimeout(r, 500));
      n = await count();
      arrivals.push({ at: Date.now(), count: n });
      if (arrivals.length % 10 === 0) log(`logs: ${n} of ${TOTAL} lines queryable`);
    }
    const agentCpu = processCpuSeconds(agentPid) - cpu0;
    const written = await writtenCurve(query, since);
    const firstWrite = written[0].at;
    const lastArrival = arrivals[arrivals.length - 1].at;
    const linesPerSecond = TOTAL / ((lastArrival - firstWrite) / 1000);
    out.ingest = {
      linesPerSecond,
      delayMs: delays(written, arrivals),
      // Cores at R lines/s, per 1 000 lines/s: CPU seconds per 1 000 lines.
      agentCpuSecondsPer1kLps: agentCpu / (TOTAL / 1000),
    };
    log('logs: the same lines into Postgres with a raw COPY');
    out.copyLinesPerSecond = await rawCopy(cluster.databaseUrl);
    await loadRows(cluster.databaseUrl, log);
    log(`logs: ${QUERIES} keyword queries over ${QUERY_ROWS / 1e6} M lines in a 1 h window`);
    const hour = new Date(Date.now() - 3_600_000).toISOString();
    for (let q = 0; q < QUERIES; q++) {
      const started = performance.now();
      await query({ from: hour, query: `word${(q * 37) % 1000}`, limit: '100' });
      out.queryMs.push(performance.now() - started);
    }
  } catch (err) {
    out.problems.push(errorMessage(err));
    log(`logs: FAILED: ${errorMessage(err)}`);
  } finally {
    http.close();
    await cluster.stop();
  }
  out.rows = rowsOf(out);
  return out;
}

function writerPod(): object {
  const perBurst = RATE / 10;
  const script = [
    'sleep 2',
    'j=0',
    `while [ $j -lt ${SECONDS * 10} ]; do`,
    `  awk -v j=$j 'BEGIN { for (i = 0; i < ${perBurst}; i++) printf "bench line %d-%d word%d lorem ipsum dolor sit amet\\n", j, i, i % 1000 }'`,
    '  usleep 100000',
    '  j=$((j+1))',
    'done',
    "trap 'exit 0' TERM",
    'sleep 3600 & wait',
  ].join('\n');
  return {
    metadata: { name: 'writer' },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sh', '-c', script],
          env: [{ name: `aliyun_logs_${STORE}`, value: 'stdout' }],
        },
      ],
    },
  };
}

/** Lines written by each instant (the CRI time each line carries), cumulative, from 1 s buckets. */
async function writtenCurve(
  query: (p: Record<string, string>) => Promise<QueryResult>,
  since: string,
): Promise<{ at: number; count: number }[]> {
  const buckets = (await query({ from: since, histogram: '1', limit: '1' })).histogram ?? [];
  const curve: { at: number; count: number }[] = [];
  let n = 0;
  for (const b of buckets) {
    if (b.count === 0 && n === 0) continue;
    n += b.count;
    curve.push({ at: Date.parse(b.to), count: n });
  }
  return curve;
}

/** Each percentile's line: when it was queryable minus when it was written (both curves interpolated). */
function delays(written: { at: number; count: number }[], arrived: { at: number; count: number }[]): number[] {
  const at = (curve: { at: number; count: number }[], k: number) => {
    const i = curve.findIndex((p) => p.count >= k);
    if (i <= 0) return curve[Math.max(i, 0)].at;
    const a = curve[i - 1];
    const b = curve[i];
    return a.at + ((b.at - a.at) * (k - a.count)) / (b.count - a.count);
  };
  const out: number[] = [];
  for (let p = 1; p <= 100; p++) {
    const k = Math.ceil((TOTAL * p) / 100);
    out.push(Math.max(0, at(arrived, k) - at(written, k)));
  }
  return out;
}

/** The floor: the same lines COPYed into a plain table of the same database by psql. */
async function rawCopy(databaseUrl: string): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('CREATE TABLE bench_copy (time timestamptz NOT NULL DEFAULT now(), line text NOT NULL)');
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const psql = spawn('psql', [databaseUrl, '-q', '-c', 'COPY bench_copy (line) FROM STDIN'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      psql.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      psql.on('error', reject);
      psql.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY: ${stderr.trim()}`))));
      const lines: string[] = [];
      for (let j = 0; j < SECONDS * 10; j++) for (let i = 0; i < RATE / 10; i++) lines.push(LINE(j, i));
      psql.stdin.end(`${lines.join('\n')}\n`);
    });
    const seconds = (performance.now() - started) / 1000;
    await db.query('DROP TABLE bench_copy');
    return TOTAL / seconds;
  } finally {
    await db.end();
  }
}

/** 10 M lines spread over the last hour, in the bench's store and stream, straight into log-svc's table. */
async function loadRows(databaseUrl: string, log: Log): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ store_id: number; id: number }>(
      `SELECT s.store_id, s.id FROM log_streams s JOIN log_stores t ON t.id = s.store_id WHERE t.namespace = $1 AND t.name = $2 LIMIT 1`,
      [NAMESPACE, STORE],
    );
    if (!rows[0]) throw new Error('the bench store has no stream');
    for (let from = 0; from < QUERY_ROWS; from += LOAD_CHUNK) {
      await db.query(
        `INSERT INTO log_records (store_id, stream_id, id, time, line)
         SELECT $1, $2, gen_random_uuid(), now() - (g % 3600000) * interval '1 millisecond',
                'bench line q-' || g || ' word' || (g % 1000) || ' lorem ipsum dolor sit amet'
         FROM generate_series($3::bigint, $4::bigint) g`,
        [rows[0].store_id, rows[0].id, from, from + LOAD_CHUNK - 1],
      );
      log(`logs: ${(from + LOAD_CHUNK) / 1e6} M of ${QUERY_ROWS / 1e6} M lines loaded for the query benchmark`);
    }
    await db.query('ANALYZE log_records');
  } finally {
    await db.end();
  }
}

function rowsOf(out: LogsBenchResults): BenchRow[] {
  const rows: BenchRow[] = [];
  if (out.ingest) {
    const copy = out.copyLinesPerSecond;
    rows.push({
      label: 'ingest, container write → queryable',
      latency: summarize(out.ingest.delayMs),
      rate: out.ingest.linesPerSecond,
      note: `lines/s; goal ≥ 50 000${copy ? ` and ≥ 0.5× raw COPY (${copy.toFixed(0)}/s): ×${(out.ingest.linesPerSecond / copy).toFixed(2)}` : ''}`,
    });
    rows.push({
      label: 'agent CPU per 1 000 lines/s',
      note: `${(out.ingest.agentCpuSecondsPer1kLps * 100).toFixed(1)} % of a core`,
    });
  }
  if (out.queryMs.length)
    rows.push({
      label: `keyword query, ${QUERY_ROWS / 1e6} M lines, 1 h window`,
      latency: summarize(out.queryMs),
      note: 'goal p99 ≤ 300 ms',
    });
  return rows;
}
