import { errorMessage } from '@skiff/api-machinery';
import { FIO_IMAGE, HostToolImageBuilder } from '@skiff/dev-registry';
import { runCommand, startTestCluster, TestCluster } from '@skiff/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KubeHttpClient } from './kube-http';
import { mustRun } from './pods/host-command';
import { BenchRow } from './report';
import { summarize } from './stats';

type Log = (line: string) => void;

const NAMESPACE = 'bench-storage';
const CLAIMS = 20;
const PODS = 10;
const ROUNDS = 2;
// The dev stack's loopback registry, the docker.io mirror the test cluster's agent pulls through.
const REGISTRY = '127.0.0.1:5000';
const FIO_JOBS = [
  { name: '4k random read', args: ['--rw=randread', '--bs=4k', '--iodepth=16'], unit: 'iops' },
  { name: '4k random write', args: ['--rw=randwrite', '--bs=4k', '--iodepth=16'], unit: 'iops' },
  { name: '1 MiB sequential read', args: ['--rw=read', '--bs=1M', '--iodepth=4'], unit: 'MB/s' },
  { name: '1 MiB sequential write', args: ['--rw=write', '--bs=1M', '--iodepth=4'], unit: 'MB/s' },
] as const;
const FIO_COMMON = [
  '--size=512M',
  '--runtime=6',
  '--time_based',
  '--ioengine=libaio',
  '--direct=1',
  '--output-format=json',
];

export interface StorageBenchResults {
  rows: BenchRow[];
  bound: number[];
  ready: { plain: number[]; disk: number[] };
  fio: { job: string; unit: string; host: number[]; pod: number[] }[];
  problems: string[];
}

/**
 * The storage benchmark: PVC create → Bound on the default disk class; pod create → Ready with its own disk vs
 * without a volume (the difference is attach + mount); fio inside a runc pod on a disk vs on the host against the
 * same kind of image file (sparse, ext4, a loop device), alternated.
 */
export async function runStorageBench(log: Log): Promise<StorageBenchResults> {
  const out: StorageBenchResults = { rows: [], bound: [], ready: { plain: [], disk: [] }, fio: [], problems: [] };
  const work = mkdtempSync(path.join(tmpdir(), 'skiff-bench-storage-'));
  log('storage: seeding the fio image into the loopback registry');
  await new HostToolImageBuilder(FIO_IMAGE).seed({ registry: REGISTRY, workDir: work });
  const host = await HostDisk.make(work);
  log('storage: starting a test cluster with storage-svc and a sandbox host');
  const cluster = await startTestCluster({}, [
    'api-gateway',
    'network-svc',
    'storage-svc',
    'scheduler',
    'sandbox-agent',
  ]);
  const http = new KubeHttpClient(cluster.stack, 8);
  const api = `/api/v1/namespaces/${NAMESPACE}`;
  try {
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    log(`storage: ${CLAIMS} claims, create → Bound`);
    for (let i = 0; i < CLAIMS; i++) {
      const started = Date.now();
      await http.send('POST', `${api}/persistentvolumeclaims`, claim(`c-${i}`, '1Gi'));
      await until(async () => (await get(http, `${api}/persistentvolumeclaims/c-${i}`))?.status?.phase === 'Bound');
      out.bound.push(Date.now() - started);
    }
    log(`storage: ${PODS} pods with a disk and ${PODS} without, create → Ready, alternated`);
    for (let i = 0; i < PODS; i++) {
      for (const kind of i % 2 ? (['disk', 'plain'] as const) : (['plain', 'disk'] as const)) {
        const name = `${kind}-${i}`;
        const started = Date.now();
        await http.send('POST', `${api}/pods`, pod(name, 'busybox', kind === 'disk' ? `c-${i}` : undefined));
        await until(async () => ready(await get(http, `${api}/pods/${name}`)));
        out.ready[kind].push(Date.now() - started);
      }
    }
    await http.send('POST', `${api}/persistentvolumeclaims`, claim('fio-data', '2Gi'));
    await http.send('POST', `${api}/pods`, pod('fio', `${FIO_IMAGE.repository}:latest`, 'fio-data'));
    await until(async () => ready(await get(http, `${api}/pods/fio`)), 120_000);
    for (const job of FIO_JOBS) {
      const r = { job: job.name, unit: job.unit, host: [] as number[], pod: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of round % 2 ? (['pod', 'host'] as const) : (['host', 'pod'] as const)) {
          const v = side === 'host' ? await host.fio(job.args, job.unit) : await podFio(cluster, job.args, job.unit);
          r[side].push(v);
          log(`storage: fio ${job.name} ${side}: ${v.toFixed(0)} ${job.unit}`);
        }
      }
      out.fio.push(r);
    }
  } catch (err) {
    out.problems.push(errorMessage(err));
    log(`storage: FAILED: ${errorMessage(err)}`);
  } finally {
    http.close();
    await cluster.stop();
    await host.remove();
    rmSync(work, { recursive: true, force: true });
  }
  out.rows = rowsOf(out);
  return out;
}

/** The host's side of the comparison: a sparse ext4 image like a cloud disk's, on a loop device, mounted. */
class HostDisk {
  private constructor(
    private readonly device: string,
    private readonly mountPoint: string,
  ) {}

  static async make(dir: string): Promise<HostDisk> {
    const image = path.join(dir, 'host-disk.img');
    const mountPoint = path.join(dir, 'mnt');
    await mustRun('truncate', ['-s', '2G', image]);
    await mustRun('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
    const device = (await mustRun('losetup', ['--find', '--show', image])).trim();
    await mustRun('mkdir', ['-p', mountPoint]);
    await mustRun('mount', [device, mountPoint]);
    return new HostDisk(device, mountPoint);
  }

  async fio(args: readonly string[], unit: string): Promise<number> {
    return fioResult(
      await mustRun('fio', ['--name=bench', `--filename=${this.mountPoint}/f`, ...args, ...FIO_COMMON]),
      unit,
    );
  }

  async remove(): Promise<void> {
    await runCommand('umount', [this.mountPoint]);
    await runCommand('losetup', ['-d', this.device]);
  }
}

async function podFio(cluster: TestCluster, args: readonly string[], unit: string): Promise<number> {
  const r = await cluster.kubectl(
    ['exec', '-n', NAMESPACE, 'fio', '--', 'fio', '--name=bench', '--filename=/data/f', ...args, ...FIO_COMMON],
    { timeoutMs: 120_000 },
  );
  if (r.code !== 0) throw new Error(`fio in the pod: ${r.stderr}`);
  return fioResult(r.stdout, unit);
}

function fioResult(json: string, unit: string): number {
  const job = (JSON.parse(json) as { jobs: { read: FioSide; write: FioSide }[] }).jobs[0];
  const side = job.read.io_bytes > 0 ? job.read : job.write;
  return unit === 'iops' ? side.iops : (side.bw * 1024) / 1e6;
}

interface FioSide {
  iops: number;
  /** KiB/s */
  bw: number;
  io_bytes: number;
}

function claim(name: string, storage: string): object {
  return { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } };
}

function pod(name: string, image: string, claimName?: string): object {
  return {
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image,
          command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
          ...(claimName ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
        },
      ],
      ...(claimName ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } : {}),
    },
  };
}

interface Observed {
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

async function get(http: KubeHttpClient, url: string): Promise<Observed | undefined> {
  return (await http.send<Observed>('GET', url)).body;
}

function ready(o: Observed | undefined): boolean {
  return !!o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not there within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rowsOf(out: StorageBenchResults): BenchRow[] {
  const rows: BenchRow[] = [];
  const med = (xs: number[]) => summarize(xs).p50;
  if (out.bound.length)
    rows.push({ label: 'PVC create → Bound (disk)', latency: summarize(out.bound), note: 'goal p50 ≤ 1 s' });
  if (out.ready.plain.length && out.ready.disk.length) {
    rows.push({ label: 'pod create → Ready, no volume', latency: summarize(out.ready.plain) });
    rows.push({
      label: 'pod create → Ready, own disk',
      latency: summarize(out.ready.disk),
      note: `attach + mount ≈ ${(med(out.ready.disk) - med(out.ready.plain)).toFixed(0)} ms at p50 (goal ≤ 300 ms)`,
    });
  }
  for (const f of out.fio)
    if (f.host.length && f.pod.length)
      rows.push({
        label: `fio ${f.job}, pod vs host`,
        rate: med(f.pod),
        note: `${med(f.pod).toFixed(0)} vs ${med(f.host).toFixed(0)} ${f.unit}: ×${(med(f.pod) / med(f.host)).toFixed(3)} (goal ≥ 0.9)`,
      });
  return rows;
}
