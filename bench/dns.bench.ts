import { apiRequest, eventually, freePort, startTestCluster, TestCluster } from '@skiff/testing';
import * as dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DnsperfResult, runDnsperf } from './network/dnsperf';
import { UnboundServer } from './network/unbound';
import { BenchRow } from './report';

type Log = (line: string) => void;

const NS = 'bench-dns';
const ZONE = 'cluster.local';
const CLUSTER_IP_SERVICES = 200;
const HEADLESS_SERVICES = 20;
const ENDPOINTS_PER_HEADLESS = 3;
const ROUNDS = 3;
const SECONDS = 8;
// docs/architecture.md "Performance targets": ≥ 50 % of Unbound's queries/s at p99 ≤ 5 ms.
const RATE_GOAL = 0.5;
const P99_GOAL_MS = 5;

export interface DnsBenchResults {
  rows: BenchRow[];
  records: number;
  queries: number;
  rounds: { unbound: DnsperfResult[]; skiff: DnsperfResult[] };
  atRate: { rate: number; unbound: DnsperfResult; skiff: DnsperfResult };
  problems: string[];
}

interface Records {
  /** Unbound local-data lines. */
  data: string[];
  pointers: { ip: string; name: string }[];
  /** dnsperf query lines. */
  queries: string[];
}

const svcName = (name: string): string => `${name}.${NS}.svc.${ZONE}`;

/** The same records for both servers: what the Services below mean, in zone-file form. */
function recordsFor(): Records {
  const data = [`${ZONE}. 5 IN SOA ns.dns.${ZONE}. hostmaster.${ZONE}. 1 7200 1800 86400 5`];
  const pointers: Records['pointers'] = [];
  const queries: string[] = [];
  for (let i = 0; i < CLUSTER_IP_SERVICES; i++) {
    const ip = clusterIpOf(i);
    data.push(`${svcName(`svc-${i}`)}. 5 IN A ${ip}`);
    data.push(`_http._tcp.${svcName(`svc-${i}`)}. 5 IN SRV 0 100 80 ${svcName(`svc-${i}`)}.`);
    pointers.push({ ip, name: svcName(`svc-${i}`) });
    queries.push(`${svcName(`svc-${i}`)} A`);
    if (i % 4 === 0) queries.push(`_http._tcp.${svcName(`svc-${i}`)} SRV`);
    if (i % 4 === 1) queries.push(`${ip.split('.').reverse().join('.')}.in-addr.arpa PTR`);
  }
  for (let i = 0; i < HEADLESS_SERVICES; i++) {
    for (let k = 0; k < ENDPOINTS_PER_HEADLESS; k++) {
      const ip = endpointIpOf(i, k);
      data.push(`${svcName(`hl-${i}`)}. 5 IN A ${ip}`);
      data.push(`m-${k}.${svcName(`hl-${i}`)}. 5 IN A ${ip}`);
      pointers.push({ ip, name: `m-${k}.${svcName(`hl-${i}`)}` });
    }
    queries.push(`${svcName(`hl-${i}`)} A`, `m-0.${svcName(`hl-${i}`)} A`, `missing-${i}.${NS}.svc.${ZONE} A`);
  }
  return { data, pointers, queries };
}

const clusterIpOf = (i: number): string => `10.96.200.${i + 1}`;
const endpointIpOf = (i: number, k: number): string => `10.244.200.${i * ENDPOINTS_PER_HEADLESS + k + 1}`;

async function createObjects(cluster: TestCluster): Promise<void> {
  const post = async (p: string, body: Record<string, unknown>): Promise<void> => {
    const res = await apiRequest(cluster.stack, 'POST', p, body);
    if (res.status !== 201) throw new Error(`POST ${p}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  };
  await post('/api/v1/namespaces', { metadata: { name: NS } });
  const ns = `/api/v1/namespaces/${NS}`;
  for (let i = 0; i < CLUSTER_IP_SERVICES; i++)
    await post(`${ns}/services`, {
      metadata: { name: `svc-${i}` },
      spec: { clusterIP: clusterIpOf(i), ports: [{ name: 'http', port: 80 }] },
    });
  for (let i = 0; i < HEADLESS_SERVICES; i++) {
    // Selectorless: the user writes the Endpoints (hostnames included) and network-svc mirrors them to slices.
    await post(`${ns}/services`, { metadata: { name: `hl-${i}` }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    await post(`${ns}/endpoints`, {
      metadata: { name: `hl-${i}` },
      subsets: [
        {
          addresses: Array.from({ length: ENDPOINTS_PER_HEADLESS }, (_, k) => ({
            ip: endpointIpOf(i, k),
            hostname: `m-${k}`,
          })),
          ports: [{ port: 80 }],
        },
      ],
    });
  }
}

function ask(port: number, name: string, type: 'A' | 'SRV' | 'PTR'): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer from 127.0.0.1:${port}`));
    }, 1000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(msg).answers ?? []);
    });
    socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type }] }), port, '127.0.0.1');
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Cluster DNS queries/s and latency: dnsperf against network-svc's DNS (a test cluster on
 * loopback, records from real Services and EndpointSlices) side by side with Unbound serving the
 * same records as local-data, in alternating rounds; then both at a fixed rate of half Unbound's
 * best, with every query's latency for p50/p99.
 */
export async function runDnsBench(log: Log): Promise<DnsBenchResults> {
  const problems: string[] = [];
  const skiffPort = await freePort();
  const unboundPort = await freePort();
  const records = recordsFor();
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-bench-dns-'));
  const queryFile = path.join(dir, 'queries.txt');
  writeFileSync(queryFile, `${records.queries.join('\n')}\n`);

  log(`network: starting a test cluster (api-gateway, network-svc with DNS on 127.0.0.1:${skiffPort})`);
  const cluster = await startTestCluster({ SKIFF_DNS_LISTEN: `127.0.0.1:${skiffPort}` }, [
    'api-gateway',
    'network-svc',
  ]);
  const unbound = new UnboundServer(unboundPort, [ZONE], records.data, records.pointers);
  try {
    log(`network: creating ${CLUSTER_IP_SERVICES} ClusterIP and ${HEADLESS_SERVICES} headless Services`);
    await createObjects(cluster);
    await eventually(
      async () =>
        (await ask(skiffPort, svcName(`svc-${CLUSTER_IP_SERVICES - 1}`), 'A')).length === 1 &&
        (await ask(skiffPort, `m-0.${svcName(`hl-${HEADLESS_SERVICES - 1}`)}`, 'A')).length === 1,
      60_000,
      'the cluster DNS to serve every Service',
    );
    log(
      `network: starting Unbound on 127.0.0.1:${unboundPort} with ${records.data.length + records.pointers.length} local records`,
    );
    await unbound.start(async () => (await ask(unboundPort, svcName('svc-0'), 'A')).length === 1);
    log(
      `network: unbound pid ${unbound.pid}; ${records.queries.length} distinct queries, ${ROUNDS} rounds of ${SECONDS} s each`,
    );

    const rounds: DnsBenchResults['rounds'] = { unbound: [], skiff: [] };
    for (let r = 0; r < ROUNDS; r++) {
      rounds.unbound.push(await runDnsperf({ port: unboundPort, queryFile, seconds: SECONDS }));
      rounds.skiff.push(await runDnsperf({ port: skiffPort, queryFile, seconds: SECONDS }));
      log(
        `network: round ${r + 1}: unbound ${rounds.unbound[r].qps.toFixed(0)} q/s, skiff ${rounds.skiff[r].qps.toFixed(0)} q/s`,
      );
    }
    const unboundQps = median(rounds.unbound.map((x) => x.qps));
    const skiffQps = median(rounds.skiff.map((x) => x.qps));
    const rate = unboundQps * RATE_GOAL;
    log(`network: both at ${rate.toFixed(0)} q/s (${RATE_GOAL * 100} % of Unbound's median), every query timed`);
    const atRate = {
      rate,
      unbound: await runDnsperf({ port: unboundPort, queryFile, seconds: SECONDS, rate, perQuery: true }),
      skiff: await runDnsperf({ port: skiffPort, queryFile, seconds: SECONDS, rate, perQuery: true }),
    };
    for (const [name, res] of Object.entries({ unbound: atRate.unbound, skiff: atRate.skiff })) {
      if (res.lost > 0) problems.push(`${name}: ${res.lost} of ${res.sent} queries lost at ${rate.toFixed(0)} q/s`);
    }
    const codes = (res: DnsperfResult): string =>
      Object.entries(res.rcodes)
        .sort()
        .map(([c, n]) => `${c} ${((100 * n) / Math.max(1, res.completed)).toFixed(1)}%`)
        .join(', ');
    if (codes(atRate.unbound) !== codes(atRate.skiff))
      problems.push(`the servers answered differently: unbound ${codes(atRate.unbound)}; skiff ${codes(atRate.skiff)}`);

    const p99 = atRate.skiff.latency?.p99 ?? Number.NaN;
    const rows: BenchRow[] = [
      { label: 'Unbound, unlimited (median of rounds)', rate: unboundQps, note: 'baseline' },
      {
        label: 'Skiff DNS, unlimited (median of rounds)',
        rate: skiffQps,
        note: `×${(skiffQps / unboundQps).toFixed(2)} of Unbound (goal ≥ ×${RATE_GOAL}): ${skiffQps >= unboundQps * RATE_GOAL ? 'met' : 'MISSED'}`,
      },
      {
        label: `Unbound at ${rate.toFixed(0)} q/s`,
        latency: atRate.unbound.latency,
        rate: atRate.unbound.qps,
        note: codes(atRate.unbound),
      },
      {
        label: `Skiff DNS at ${rate.toFixed(0)} q/s`,
        latency: atRate.skiff.latency,
        rate: atRate.skiff.qps,
        note: `p99 ${p99 <= P99_GOAL_MS ? '≤' : '>'} ${P99_GOAL_MS} ms: ${p99 <= P99_GOAL_MS && atRate.skiff.lost === 0 ? 'met' : 'MISSED'}; p99 ×${(p99 / (atRate.unbound.latency?.p99 ?? Number.NaN)).toFixed(1)} of Unbound`,
      },
    ];
    return {
      rows,
      records: records.data.length + records.pointers.length,
      queries: records.queries.length,
      rounds,
      atRate,
      problems,
    };
  } finally {
    await unbound.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
