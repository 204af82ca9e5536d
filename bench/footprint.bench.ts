import { compiledEntry } from '@skiff/stack';
import { startTestCluster } from '@skiff/testing';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KubeHttpClient } from './kube-http';
import { sleep } from './pods/host-command';
import { PodFleet } from './pods/pod-fleet';
import { PodWatch } from './pods/pod-watch';
import { BenchRow } from './report';

type Log = (line: string) => void;

const NAMESPACE = 'bench-footprint';
const PODS = 100;
// RSS moves with garbage collection: each figure is the median of samples over a quiet window.
const SAMPLES = 10;
const SAMPLE_EVERY_MS = 1_000;
const SETTLE_MS = 30_000;
// docs/architecture.md "Performance targets".
const IDLE_TARGET_BYTES = 450 * 1024 * 1024;

export interface FootprintResults {
  rows: BenchRow[];
  /** Median RSS in bytes per process, idle and with PODS pods running. */
  idle: Record<string, number>;
  loaded: Record<string, number>;
  running: number;
}

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function medianRss(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(pids).map((k) => [k, []]));
  for (let i = 0; i < SAMPLES; i++) {
    for (const [name, pid] of Object.entries(pids)) samples[name].push(rssBytes(pid));
    await sleep(SAMPLE_EVERY_MS);
  }
  return Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]]),
  );
}

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;

/**
 * What Skiff's processes hold in memory: each service (compiled, as `npm start` runs them) idle
 * and with 100 idle pods running, plus the launcher `npm start` leaves in the foreground (its
 * modules loaded, idle). The bench process itself is not Skiff and is not counted.
 */
export async function runFootprintBench(log: Log): Promise<FootprintResults> {
  log('footprint: starting a test cluster with a sandbox host');
  const cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  // The launcher: dev-stack's modules loaded in a process of its own, then idle.
  const launcher = spawn(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(compiledEntry('libs', 'stack', 'src', 'index.js'))}); require(${JSON.stringify(compiledEntry('libs', 'config', 'src', 'index.js'))}); setInterval(() => {}, 1 << 30);`,
    ],
    { stdio: 'ignore' },
  );
  const http = new KubeHttpClient(cluster.stack, 32);
  const watch = new PodWatch(cluster.stack, http, NAMESPACE);
  const fleet = new PodFleet(http, watch, NAMESPACE);
  try {
    const pids: Record<string, number | undefined> = Object.fromEntries(
      [...cluster.stack.services].map(([name, svc]) => [name, svc.child.pid]),
    );
    pids.launcher = launcher.pid;
    log(`footprint: letting the services settle for ${SETTLE_MS / 1000} s, then ${SAMPLES} samples`);
    await sleep(SETTLE_MS);
    const idle = await medianRss(pids);
    log(
      `footprint: idle ${Object.entries(idle)
        .map(([k, v]) => `${k} ${mib(v)}`)
        .join(', ')}`,
    );
    await http.send('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    await watch.open();
    log(`footprint: starting ${PODS} idle busybox pods (runc)`);
    let shown = -1;
    const progress = (n: number): void => {
      if (n === shown) return;
      shown = n;
      log(`footprint:   ${n}/${PODS} Running`);
    };
    const starts = await fleet.start(
      Array.from({ length: PODS }, (_, i) => `idle-${i}`),
      'runc',
      600_000,
      progress,
    );
    const running = starts.filter((s) => s.ms !== undefined).length;
    await sleep(SETTLE_MS);
    const loaded = await medianRss(pids);
    log(
      `footprint: with ${running} pods ${Object.entries(loaded)
        .map(([k, v]) => `${k} ${mib(v)}`)
        .join(', ')}`,
    );
    log('footprint: deleting the pods');
    await fleet.deleteAll(180_000);
    const totalIdle = Object.values(idle).reduce((a, b) => a + b, 0);
    const totalLoaded = Object.values(loaded).reduce((a, b) => a + b, 0);
    const rows: BenchRow[] = [
      ...Object.keys(idle).map((name) => ({
        label: `  ${name}`,
        note: `idle ${mib(idle[name])}, with ${running} pods ${mib(loaded[name])}`,
      })),
      {
        label: '  all Skiff processes',
        note: `idle ${mib(totalIdle)} (target ≤ ${mib(IDLE_TARGET_BYTES)}: ${totalIdle <= IDLE_TARGET_BYTES ? 'met' : 'MISSED'}), with ${running} pods ${mib(totalLoaded)}`,
      },
      {
        label: '  sandbox agent per pod',
        note:
          running > 0
            ? `${((loaded['sandbox-agent'] - idle['sandbox-agent']) / running / 1024).toFixed(0)} KiB (its RSS growth / pods; conmon is per pod besides)`
            : 'no pod ran',
      },
    ];
    return { rows, idle, loaded, running };
  } finally {
    watch.close();
    launcher.kill();
    await cluster.stop();
  }
}
