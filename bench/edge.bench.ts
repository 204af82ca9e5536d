import { errorMessage } from '@skiff/api-machinery';
import { internetClient, InternetClient, runCommand, startTestCluster, TestCluster } from '@skiff/testing';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KubeHttpClient } from './kube-http';
import { startKeepAliveServer } from './network/keepalive-server';
import { ReachProber } from './network/reach-prober';
import { ReadinessWatch } from './network/readiness-watch';
import { runWrk, WrkResult } from './network/wrk';
import { BenchRow } from './report';
import { summarize } from './stats';

type Log = (line: string) => void;

const NAMESPACE = 'bench-edge';
// Short rounds, alternated: the machine is shared, and a pair of neighbouring runs sees the same load.
const WRK = { seconds: 5, connections: 8, threads: 1, rounds: 6 };
// The wrk target: a keep-alive server in each backend pod's netns (see keepalive-server.ts).
const FAST_PORT = 8081;
const BACKENDS = 3;
const SAMPLES = 20;
const CHANGES = 20;
const HOST = 'bench.example.com';
const SOLO_HOST = 'solo.example.com';
const PLAIN_HOST = 'plain.example.com';

// httpd answers once /tmp/ready exists (readiness probe every second): the propagation samples toggle it.
const backend = (name: string, app: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app } },
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
        readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
      },
    ],
  },
});

type Side = 'direct' | 'slb' | 'ingress' | 'ingressHttp';

export interface EdgeBenchResults {
  rows: BenchRow[];
  wrk: Record<Side, WrkResult[]>;
  propagation: { slb: number[]; ingress: number[] };
  changes: { slb: WrkResult[]; ingress: WrkResult[] };
  problems: string[];
}

/**
 * The edge benchmark: wrk from an internet client netns through the SLB and through the Ingress (TLS) against
 * straight to one pod (from the edge netns: the client side cannot reach pods), alternated; how long after a
 * pod turns Ready (as a watch sees it) the SLB and the Ingress carry traffic to it; and the requests that fail
 * while wrk runs through both during 20 backend changes (a pod leaving and re-joining the Service).
 */
export async function runEdgeBench(log: Log): Promise<EdgeBenchResults> {
  log('edge: starting a test cluster with a sandbox host and an internet client');
  const cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  const http = new KubeHttpClient(cluster.stack, 16);
  const out: EdgeBenchResults = {
    rows: [],
    wrk: { direct: [], slb: [], ingress: [], ingressHttp: [] },
    propagation: { slb: [], ingress: [] },
    changes: { slb: [], ingress: [] },
    problems: [],
  };
  const servers: ChildProcess[] = [];
  const probers: ReachProber[] = [];
  let client: InternetClient | undefined;
  const pki = mkdtempSync(path.join(tmpdir(), 'skiff-bench-edge-'));
  try {
    client = await internetClient(cluster.edge!);
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    const api = `/api/v1/namespaces/${NAMESPACE}`;
    const names = Array.from({ length: BACKENDS }, (_, i) => `backend-${i}`);
    for (const name of names) await http.send('POST', `${api}/pods`, backend(name, 'backend'));
    await http.send('POST', `${api}/pods`, backend('solo', 'solo'));
    for (const [name, app] of [
      ['web', 'backend'],
      ['solo', 'solo'],
    ])
      await http.send('POST', `${api}/services`, {
        metadata: { name },
        spec: {
          type: 'LoadBalancer',
          selector: { app },
          ports: [
            { name: 'httpd', port: 80, targetPort: 8080 },
            { name: 'fast', port: 81, targetPort: FAST_PORT },
          ],
        },
      });
    await tlsSecret(cluster, pki);
    await http.send('POST', `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses`, {
      metadata: { name: 'bench' },
      spec: {
        tls: [{ hosts: [HOST], secretName: 'bench-tls' }],
        rules: [
          { host: HOST, http: { paths: [path_('/', 'web', 81)] } },
          { host: SOLO_HOST, http: { paths: [path_('/', 'solo', 80)] } },
          { host: PLAIN_HOST, http: { paths: [path_('/', 'web', 81)] } },
        ],
      },
    });
    for (const pod of [...names, 'solo']) {
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
    for (const name of names)
      servers.push(
        await startKeepAliveServer(`skiff-${await jsonpath(cluster, `pod/${name}`, '{.metadata.uid}')}`, FAST_PORT),
      );
    const podIP = await jsonpath(cluster, `pod/${names[0]}`, '{.status.podIP}');
    const slbIP = await until(() => jsonpath(cluster, 'svc/web', '{.status.loadBalancer.ingress[0].ip}'));
    const soloIP = await until(() => jsonpath(cluster, 'svc/solo', '{.status.loadBalancer.ingress[0].ip}'));
    const ingressIP = await until(() => jsonpath(cluster, 'ingress/bench', '{.status.loadBalancer.ingress[0].ip}'));
    const edge = cluster.edge!.netns;
    const slbProbe = await ReachProber.start(client.netns, soloIP, 80);
    const ingressProbe = await ReachProber.start(client.netns, ingressIP, 80, SOLO_HOST);
    probers.push(slbProbe, ingressProbe);
    await slbProbe.until('up', 30_000);
    await ingressProbe.until('up', 30_000);

    const runs: Record<Side, () => Promise<WrkResult>> = {
      direct: () => runWrk({ netns: edge, url: `http://${podIP}:${FAST_PORT}/`, ...WRK }),
      slb: () => runWrk({ netns: client!.netns, url: `http://${slbIP}:81/`, ...WRK }),
      ingress: () => runWrk({ netns: client!.netns, url: `https://${ingressIP}/`, headers: [`Host: ${HOST}`], ...WRK }),
      // The same without TLS (a host without a TLS section): tells the proxying from the encryption.
      ingressHttp: () =>
        runWrk({ netns: client!.netns, url: `http://${ingressIP}/`, headers: [`Host: ${PLAIN_HOST}`], ...WRK }),
    };
    log(
      `edge: wrk ${WRK.rounds}× ${WRK.seconds} s each, ${WRK.connections} keep-alive connections: pod ${podIP}, SLB ${slbIP}:81, Ingress https://${ingressIP}`,
    );
    for (let round = 0; round < WRK.rounds; round++) {
      const order: Side[] =
        round % 2 === 0 ? ['direct', 'slb', 'ingress', 'ingressHttp'] : ['ingressHttp', 'ingress', 'slb', 'direct'];
      for (const side of order) {
        const r = await runs[side]();
        out.wrk[side].push(r);
        log(
          `edge: wrk ${side}: ${r.requestsPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, failed ${r.failed}`,
        );
      }
    }

    log(`edge: propagation, ${SAMPLES} samples (Ready on a watch → answered through the SLB and the Ingress)`);
    const readiness = new ReadinessWatch(cluster, NAMESPACE, 'solo');
    await readiness.open();
    try {
      await samplePropagation(cluster, readiness, slbProbe, ingressProbe, out);
    } finally {
      readiness.close();
    }

    log(`edge: ${CHANGES} backend changes while wrk runs through the SLB and the Ingress`);
    const long = { ...WRK, seconds: CHANGES + 4 };
    const slbRun = runWrk({ netns: client.netns, url: `http://${slbIP}:81/`, ...long });
    const ingressRun = runWrk({
      netns: client.netns,
      url: `https://${ingressIP}/`,
      headers: [`Host: ${HOST}`],
      ...long,
    });
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < CHANGES; i++) {
      // A pod leaves the Service (relabelled, still running) and comes back: its endpoint goes and returns.
      const pod = names[Math.floor(i / 2) % BACKENDS];
      const app = i % 2 === 0 ? 'parked' : 'backend';
      await cluster.kubectl(['label', '-n', NAMESPACE, `pod/${pod}`, `app=${app}`, '--overwrite']);
      await new Promise((r) => setTimeout(r, 1000));
    }
    out.changes.slb.push(await slbRun);
    out.changes.ingress.push(await ingressRun);
    log(
      `edge: during changes: SLB ${out.changes.slb[0].failed} failed of ${out.changes.slb[0].requests}, Ingress ${out.changes.ingress[0].failed} failed of ${out.changes.ingress[0].requests}`,
    );
  } catch (err) {
    out.problems.push(errorMessage(err));
    log(`edge: FAILED: ${errorMessage(err)}`);
  } finally {
    for (const p of probers) p.stop();
    for (const s of servers) s.kill('SIGTERM');
    http.close();
    await client?.remove();
    await cluster.stop();
    rmSync(pki, { recursive: true, force: true });
  }
  out.rows = rowsOf(out);
  return out;
}

function path_(p: string, service: string, port: number) {
  return { path: p, pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } };
}

async function tlsSecret(cluster: TestCluster, dir: string): Promise<void> {
  const key = path.join(dir, 'tls.key');
  const crt = path.join(dir, 'tls.crt');
  const r = await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-subj',
    `/CN=${HOST}`,
    '-addext',
    `subjectAltName=DNS:${HOST}`,
    '-days',
    '1',
    '-out',
    crt,
  ]);
  if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
  const s = await cluster.kubectl([
    'create',
    'secret',
    'tls',
    'bench-tls',
    '-n',
    NAMESPACE,
    `--cert=${crt}`,
    `--key=${key}`,
  ]);
  if (s.code !== 0) throw new Error(s.stderr);
}

/** Un-ready then ready again: each sample is Ready-seen-on-a-watch → first answer through the SLB / the Ingress. */
async function samplePropagation(
  cluster: TestCluster,
  readiness: ReadinessWatch,
  slb: ReachProber,
  ingress: ReachProber,
  out: EdgeBenchResults,
): Promise<void> {
  const exec = (script: string) => cluster.kubectl(['exec', '-n', NAMESPACE, 'solo', '--', 'sh', '-c', script]);
  for (let i = 0; i < SAMPLES; i++) {
    try {
      await exec('rm -f /tmp/ready');
      await readiness.until(false, 20_000);
      await Promise.all([slb.until('down', 20_000), ingress.until('down', 20_000)]);
      const readySeen = readiness.until(true, 20_000);
      const reached = Promise.all([slb.until('up', 20_000), ingress.until('up', 20_000)]);
      await exec('touch /tmp/ready');
      const [readyAt, [slbAt, ingressAt]] = await Promise.all([readySeen, reached]);
      out.propagation.slb.push(slbAt - readyAt);
      out.propagation.ingress.push(ingressAt - readyAt);
    } catch (err) {
      out.problems.push(`propagation sample ${i}: ${errorMessage(err)}`);
    }
  }
}

async function until(read: () => Promise<string>, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await read();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no address within 60 s');
}

async function jsonpath(cluster: TestCluster, what: string, expr: string): Promise<string> {
  return (await cluster.kubectl(['get', '-n', NAMESPACE, what, '-o', `jsonpath=${expr}`])).stdout;
}

function rowsOf(out: EdgeBenchResults): BenchRow[] {
  const rows: BenchRow[] = [];
  const med = (xs: number[]) => summarize(xs).p50;
  const lat = (rs: WrkResult[]) => ({
    n: 0,
    p50: med(rs.map((r) => r.p50)),
    p90: Number.NaN,
    p99: med(rs.map((r) => r.p99)),
    max: Number.NaN,
    mean: Number.NaN,
  });
  const { direct, slb, ingress } = out.wrk;
  if (direct.length)
    rows.push({
      label: 'wrk → pod IP (baseline), median of rounds',
      latency: lat(direct),
      rate: med(direct.map((r) => r.requestsPerSec)),
    });
  // Each round's runs were back to back: the median of the per-round ratios is what a goal is judged on.
  const ratio = (rs: WrkResult[], f: (r: WrkResult) => number) => med(rs.map((r, i) => f(r) / f(direct[i])));
  if (direct.length && slb.length)
    rows.push({
      label: 'wrk → SLB (internet client), median',
      latency: lat(slb),
      rate: med(slb.map((r) => r.requestsPerSec)),
      note: `paired: ×${ratio(slb, (r) => r.requestsPerSec).toFixed(3)} req/s (goal ≥ 0.8), p99 ×${ratio(slb, (r) => r.p99).toFixed(2)} (goal ≤ 1.5)`,
    });
  if (direct.length && ingress.length)
    rows.push({
      label: 'wrk → Ingress, TLS (internet client), median',
      latency: lat(ingress),
      rate: med(ingress.map((r) => r.requestsPerSec)),
      note: `paired: ×${ratio(ingress, (r) => r.requestsPerSec).toFixed(3)} req/s (goal ≥ 0.7)`,
    });
  if (direct.length && out.wrk.ingressHttp.length)
    rows.push({
      label: 'wrk → Ingress, plain HTTP, median',
      latency: lat(out.wrk.ingressHttp),
      rate: med(out.wrk.ingressHttp.map((r) => r.requestsPerSec)),
      note: `paired: ×${ratio(out.wrk.ingressHttp, (r) => r.requestsPerSec).toFixed(3)} req/s (no goal: TLS left out)`,
    });
  if (out.propagation.slb.length)
    rows.push({ label: 'Ready → answered via SLB', latency: summarize(out.propagation.slb), note: 'goal p99 ≤ 1 s' });
  if (out.propagation.ingress.length)
    rows.push({
      label: 'Ready → answered via Ingress',
      latency: summarize(out.propagation.ingress),
      note: 'goal p99 ≤ 1 s',
    });
  for (const side of ['slb', 'ingress'] as const) {
    const r = out.changes[side][0];
    if (r)
      rows.push({
        label: `${CHANGES} backend changes under load, ${side === 'slb' ? 'SLB' : 'Ingress'}`,
        rate: r.requestsPerSec,
        note: `failed requests: ${r.failed} of ${r.requests} (goal 0; ${r.socketErrors})`,
      });
  }
  return rows;
}
