import { startTestCluster, TestCluster } from '@skiff/testing';
import { errorMessage } from '@skiff/api-machinery';
import { ChildProcess, execFileSync } from 'node:child_process';
import { KubeHttpClient } from './kube-http';
import { startKeepAliveServer } from './network/keepalive-server';
import { ReachProber } from './network/reach-prober';
import { ReadinessWatch } from './network/readiness-watch';
import { runWrk, WrkResult } from './network/wrk';
import { BenchRow } from './report';
import { summarize } from './stats';

type Log = (line: string) => void;

const NAMESPACE = 'bench-net';
// Short rounds, alternated: the machine is shared, and a pair of neighbouring runs sees the same load.
const WRK = { seconds: 5, connections: 8, threads: 1, rounds: 6 };
// The wrk target: a keep-alive server in the backend pod's netns (see keepalive-server.ts).
const FAST_PORT = 8081;
const LOAD = { services: 1000, endpointsPerService: 3 };
const SAMPLES = { baseline: 10, loaded: 20 };

// httpd answers once /tmp/ready exists (readiness probe every second, one failure flips it): the bench
// toggles readiness with a file instead of making a pod per sample.
const BACKEND = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'backend', labels: { app: 'backend' } },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'httpd',
        image: 'busybox',
        command: [
          'sh',
          '-c',
          'touch /tmp/ready; mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www',
        ],
        readinessProbe: {
          exec: { command: ['cat', '/tmp/ready'] },
          periodSeconds: 1,
          failureThreshold: 1,
          successThreshold: 1,
        },
      },
    ],
  },
};

const CLIENT = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client' },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] }],
  },
};

export interface ServicesBenchResults {
  rows: BenchRow[];
  wrk: { direct: WrkResult[]; service: WrkResult[] };
  propagation: { baseline: number[]; loaded: number[] };
  load: { services: number; endpoints: number; createSeconds: number; programmedSeconds: number };
  problems: string[];
}

/**
 * The network benchmark: a cluster with a sandbox host; wrk from a client pod's netns to a Service ClusterIP and
 * straight to its one backend pod, alternated; then how long after a pod turns Ready (as a watch sees it) its
 * Service carries traffic to it, first on a quiet host, then with 1 000 more Services and 3 000 endpoints.
 */
export async function runServicesBench(log: Log): Promise<ServicesBenchResults> {
  log('network: starting a test cluster with a sandbox host');
  const cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  const http = new KubeHttpClient(cluster.stack, 16);
  const out: ServicesBenchResults = {
    rows: [],
    wrk: { direct: [], service: [] },
    propagation: { baseline: [], loaded: [] },
    load: { services: 0, endpoints: 0, createSeconds: 0, programmedSeconds: 0 },
    problems: [],
  };
  let prober: ReachProber | undefined;
  let server: ChildProcess | undefined;
  try {
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    const api = `/api/v1/namespaces/${NAMESPACE}`;
    await http.send('POST', `${api}/pods`, BACKEND);
    await http.send('POST', `${api}/pods`, CLIENT);
    const svc = await http.send<{ spec: { clusterIP: string } }>('POST', `${api}/services`, {
      metadata: { name: 'web' },
      spec: {
        selector: { app: 'backend' },
        ports: [
          { name: 'httpd', port: 80, targetPort: 8080 },
          { name: 'fast', port: 81, targetPort: FAST_PORT },
        ],
      },
    });
    const clusterIP = svc.body.spec.clusterIP;
    for (const pod of ['backend', 'client']) {
      const r = await cluster.kubectl([
        'wait',
        '-n',
        NAMESPACE,
        '--for=condition=Ready',
        `pod/${pod}`,
        '--timeout=120s',
      ]);
      if (r.code !== 0) throw new Error(`pod ${pod} not Ready: ${r.stderr}`);
    }
    const podIP = await jsonpath(cluster, 'pod/backend', '{.status.podIP}');
    const clientNetns = `skiff-${await jsonpath(cluster, 'pod/client', '{.metadata.uid}')}`;
    const table = `${bridgeOf(podIP)}_svc`;

    server = await startKeepAliveServer(
      `skiff-${await jsonpath(cluster, 'pod/backend', '{.metadata.uid}')}`,
      FAST_PORT,
    );
    prober = await ReachProber.start(clientNetns, clusterIP, 80);
    await prober.until('up', 30_000);
    log(
      `network: wrk ${WRK.rounds}× ${WRK.seconds} s each, ${WRK.connections} keep-alive connections, ClusterIP ${clusterIP}:81 vs pod ${podIP}:${FAST_PORT}`,
    );
    for (let round = 0; round < WRK.rounds; round++) {
      // Alternate which goes first so a drift in the machine's load does not favour one side.
      const order = round % 2 === 0 ? (['direct', 'service'] as const) : (['service', 'direct'] as const);
      for (const side of order) {
        const url = side === 'direct' ? `http://${podIP}:${FAST_PORT}/` : `http://${clusterIP}:81/`;
        const r = await runWrk({ netns: clientNetns, url, ...WRK });
        out.wrk[side].push(r);
        log(`network: wrk ${side}: ${r.requestsPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
      }
    }

    const readiness = new ReadinessWatch(cluster, NAMESPACE, 'backend');
    await readiness.open();
    try {
      log(`network: propagation, ${SAMPLES.baseline} samples with 1 Service on the host`);
      await samplePropagation(cluster, readiness, prober, SAMPLES.baseline, out.propagation.baseline, out.problems);

      log(
        `network: creating ${LOAD.services} Services with ${LOAD.endpointsPerService} endpoints each (EndpointSlices)`,
      );
      const prefix = podIP.split('.').slice(0, 3).join('.');
      const createStarted = Date.now();
      await createLoad(http, api, prefix);
      out.load.createSeconds = (Date.now() - createStarted) / 1000;
      const programmed = await waitForElements(table, LOAD.services + 1, 180_000);
      out.load.programmedSeconds = (Date.now() - createStarted) / 1000;
      out.load.services = programmed;
      out.load.endpoints = countEndpointChains(table);
      log(
        `network: ${out.load.services} Services, ${out.load.endpoints} endpoint chains in ${table} ` +
          `(created in ${out.load.createSeconds.toFixed(1)} s, programmed ${out.load.programmedSeconds.toFixed(1)} s after the first create)`,
      );
      log(`network: propagation, ${SAMPLES.loaded} samples with ${out.load.services} Services on the host`);
      await samplePropagation(cluster, readiness, prober, SAMPLES.loaded, out.propagation.loaded, out.problems);
    } finally {
      readiness.close();
    }
  } catch (err) {
    out.problems.push(errorMessage(err));
    log(`network: FAILED: ${errorMessage(err)}`);
  } finally {
    prober?.stop();
    server?.kill('SIGTERM');
    http.close();
    await cluster.stop();
  }
  out.rows = rowsOf(out);
  return out;
}

/** Un-ready then ready again, `n` times: each sample is Ready-seen-on-a-watch → first connection through the Service. */
async function samplePropagation(
  cluster: TestCluster,
  readiness: ReadinessWatch,
  prober: ReachProber,
  n: number,
  samples: number[],
  problems: string[],
): Promise<void> {
  const exec = (script: string) => cluster.kubectl(['exec', '-n', NAMESPACE, 'backend', '--', 'sh', '-c', script]);
  for (let i = 0; i < n; i++) {
    try {
      await exec('rm -f /tmp/ready');
      await readiness.until(false, 20_000);
      await prober.until('down', 20_000);
      const readySeen = readiness.until(true, 20_000);
      const reached = prober.until('up', 20_000);
      await exec('touch /tmp/ready');
      const [readyAt, reachedAt] = await Promise.all([readySeen, reached]);
      samples.push(reachedAt - readyAt);
    } catch (err) {
      problems.push(`propagation sample ${i}: ${errorMessage(err)}`);
    }
  }
}

async function createLoad(http: KubeHttpClient, api: string, prefix: string): Promise<void> {
  const one = async (i: number): Promise<void> => {
    const name = `load-${i}`;
    await http.send('POST', `${api}/services`, { metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } });
    // Addresses on this host's bridge (nothing listens there: no traffic goes to them), distinct ports per Service.
    const endpoints = Array.from({ length: LOAD.endpointsPerService }, (_, j) => ({
      addresses: [`${prefix}.${100 + ((i * LOAD.endpointsPerService + j) % 150)}`],
      conditions: { ready: true },
    }));
    await http.send('POST', `/apis/discovery.k8s.io/v1/namespaces/${api.split('/').pop()}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-1`,
        labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'bench.skiff.dev' },
      },
      addressType: 'IPv4',
      endpoints,
      ports: [{ name: 'http', port: 10_000 + i, protocol: 'TCP' }],
    });
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < LOAD.services) await one(next++);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Elements of the table's service-ips map: one per ClusterIP port that has endpoints. */
function serviceElements(table: string): number {
  const doc = JSON.parse(execFileSync('nft', ['-j', 'list', 'map', 'inet', table, 'service-ips']).toString()) as {
    nftables: { map?: { elem?: unknown[] } }[];
  };
  return doc.nftables.reduce((n, i) => n + (i.map?.elem?.length ?? 0), 0);
}

function countEndpointChains(table: string): number {
  const doc = JSON.parse(execFileSync('nft', ['-j', 'list', 'chains', 'inet']).toString()) as {
    nftables: { chain?: { table: string; name: string } }[];
  };
  return doc.nftables.filter((i) => i.chain?.table === table && i.chain.name.startsWith('endpoint-')).length;
}

async function waitForElements(table: string, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  while (Date.now() < deadline) {
    n = serviceElements(table);
    if (n >= want) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`only ${n} of ${want} Services programmed in ${table} after ${timeoutMs / 1000} s`);
}

function rowsOf(out: ServicesBenchResults): BenchRow[] {
  const rows: BenchRow[] = [];
  const med = (xs: number[]) => summarize(xs).p50;
  const { direct, service } = out.wrk;
  if (direct.length && service.length) {
    const side = (rs: WrkResult[]) => ({
      rate: med(rs.map((r) => r.requestsPerSec)),
      p50: med(rs.map((r) => r.p50)),
      p99: med(rs.map((r) => r.p99)),
    });
    const d = side(direct);
    const s = side(service);
    // Each round's pair ran back to back: the median of the per-round ratios is what the goal is judged on.
    const rateRatio = med(service.map((r, i) => r.requestsPerSec / direct[i].requestsPerSec));
    const p99Ratio = med(service.map((r, i) => r.p99 / direct[i].p99));
    const lat = (x: typeof d) => ({ n: 0, p50: x.p50, p90: Number.NaN, p99: x.p99, max: Number.NaN, mean: Number.NaN });
    rows.push({ label: 'wrk → pod IP (baseline), median of rounds', latency: lat(d), rate: d.rate });
    rows.push({
      label: 'wrk → Service ClusterIP, median of rounds',
      latency: lat(s),
      rate: s.rate,
      note: `paired rounds: ×${rateRatio.toFixed(3)} req/s (goal ≥ 0.95), p99 ×${p99Ratio.toFixed(2)} (goal ≤ 1.1)`,
    });
  }
  if (out.propagation.baseline.length)
    rows.push({
      label: 'Ready → reached via Service, 1 Service',
      latency: summarize(out.propagation.baseline),
    });
  if (out.propagation.loaded.length)
    rows.push({
      label: `Ready → reached, ${out.load.services} Svc/${out.load.endpoints} eps`,
      latency: summarize(out.propagation.loaded),
      note: `goal p99 ≤ 1 s`,
    });
  return rows;
}

async function jsonpath(cluster: TestCluster, what: string, expr: string): Promise<string> {
  return (await cluster.kubectl(['get', '-n', NAMESPACE, what, '-o', `jsonpath=${expr}`])).stdout;
}

function bridgeOf(podIP: string): string {
  const m = / dev (skiff\w+) /.exec(execFileSync('ip', ['-o', 'route', 'get', podIP]).toString());
  if (!m) throw new Error(`no skiff bridge routes ${podIP}`);
  return m[1];
}
