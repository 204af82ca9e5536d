import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Clock } from '@skiff/api-machinery';
import { CpuStats, PodStats, StatsSummary } from '@skiff/kube-types';
import {
  clientCertRequest,
  componentClientCert,
  ComponentName,
  ensureClusterCredentials,
  issueServingCert,
} from '@skiff/config';
import { promises as fs, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PodManagerTestBed, waitFor } from '../pods/pod-manager.fixture';
import { CgroupUsageReader, CgroupV1, PodMetricsSampler } from '@skiff/host-tools';
import { containerCgroupPath } from '../runtime/cgroup-paths';
import { AgentAuthService } from '../streaming/agent-auth.service';
import { METRICS_CONFIG, MetricsConfig } from './metrics.config';
import { MetricsController } from './metrics.controller';
import { metricsPodsOf } from './metrics-target';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('resource metrics integration tests skipped: runc, runsc, mounts and netns need root');

jest.setTimeout(180_000);

const RESOLUTION_MS = 1_000;
const MiB = 2 ** 20;
const BURN = 'while :; do :; done';
const TERM_FRIENDLY = 'trap "exit 0" TERM; while true; do sleep 1; done';

@Module({})
class MetricsTestModule {}

(asRoot ? describe : describe.skip)(`${MetricsController.name} (real runc and runsc pods, in-process agent)`, () => {
  const bed = new PodManagerTestBed('10.244.248');
  const cgroups = new CgroupV1();
  let app: INestApplication;
  let sampler: PodMetricsSampler;
  let base: string;
  let ca: Buffer;
  let pki: string;

  beforeAll(async () => {
    await bed.start();
    // A cluster CA of the test's own: the endpoint asks callers for its client certificates, as the agent's does.
    const creds = ensureClusterCredentials(bed.stateDir);
    pki = path.dirname(creds.caFile);
    ca = readFileSync(creds.caFile);
    const serving = issueServingCert({
      caFile: creds.caFile,
      caKeyFile: path.join(pki, 'ca.key'),
      outDir: pki,
      name: 'agent',
      sans: ['127.0.0.1'],
    });
    const config: MetricsConfig = { resolutionMs: RESOLUTION_MS, nodeName: `virtual-kubelet-${bed.config.zone}` };
    sampler = new PodMetricsSampler(
      new CgroupUsageReader(cgroups),
      () => metricsPodsOf(bed.manager.known()),
      new Clock(),
      config,
    );
    app = await NestFactory.create(
      {
        module: MetricsTestModule,
        controllers: [MetricsController],
        providers: [
          AgentAuthService,
          { provide: METRICS_CONFIG, useValue: config },
          { provide: PodMetricsSampler, useValue: sampler },
        ],
      },
      {
        logger: ['error', 'warn'],
        httpsOptions: {
          cert: readFileSync(serving.certFile),
          key: readFileSync(serving.keyFile),
          ...clientCertRequest(ca),
        },
      },
    );
    await app.listen(0, '127.0.0.1');
    base = `https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    sampler.start();
  }, 240_000);

  afterAll(async () => {
    await sampler?.stop();
    await app?.close();
    await bed.dispose();
  }, 120_000);

  /** GET over TLS as `caller`'s client certificate (none: anonymous), as the API server calls the agent. */
  const get = (p: string, caller: ComponentName | null = 'api-gateway') =>
    new Promise<{ status: number; contentType?: string; body: string }>((resolve, reject) => {
      const files = caller && componentClientCert(pki, caller);
      const identity = files ? { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) } : {};
      const req = request(`${base}${p}`, { ca, ...identity }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }));
      });
      req.on('error', reject).end();
    });
  const summary = async (): Promise<StatsSummary> => JSON.parse((await get('/stats/summary')).body) as StatsSummary;
  const podStats = async (name: string): Promise<PodStats | undefined> =>
    (await summary()).pods.find((p) => p.podRef.name === name && p.podRef.namespace === bed.namespace);

  const running = (name: string) =>
    waitFor(
      `${name} Running`,
      async () => ((await bed.getPod(name)).status?.phase === 'Running' ? true : undefined),
      90_000,
    );
  const file = async (controller: string, relative: string, name: string) =>
    fs.readFile(path.join(await cgroups.dir(controller, relative), name), 'utf8');
  const cpuFile = async (uid: string, container: string) =>
    Number(await file('cpuacct', containerCgroupPath(uid, container), 'cpuacct.usage'));

  /** cadvisor series value and timestamp of one container of the test namespace. */
  const promSample = (text: string, family: string, pod: string, container: string) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${family}{`) && l.includes(`container="${container}"`) && l.includes(`pod="${pod}"`));
    if (!line) return undefined;
    const [, value, ts] = /} (\S+) (\d+)$/.exec(line)!;
    return { value: Number(value), timestampMs: Number(ts) };
  };

  /** The container's CPU stats from two consecutive rounds. */
  async function consecutiveSamples(podName: string, container: string): Promise<[CpuStats, CpuStats]> {
    const cpuOf = async () => (await podStats(podName))!.containers.find((x) => x.name === container)!.cpu!;
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = await cpuOf();
      let after = before;
      while (after.time === before.time) {
        await new Promise((r) => setTimeout(r, 50));
        after = await cpuOf();
      }
      if (Date.parse(after.time) - Date.parse(before.time) < RESOLUTION_MS * 1.5) return [before, after];
    }
    throw new Error('no two consecutive rounds seen');
  }

  // Between two reads of the container's own cpuacct.usage that frame a fresh sample, the agent's figures must lie.
  async function expectCpuMatchesCgroup(podName: string, container: string) {
    const uid = (await bed.getPod(podName)).metadata.uid!;
    await waitFor(`${podName}/${container} has a rate`, async () => {
      const c = (await podStats(podName))?.containers.find((x) => x.name === container);
      return c?.cpu?.usageNanoCores !== undefined ? c : undefined;
    });
    const tA = Date.now();
    const a = await cpuFile(uid, container);
    await new Promise((r) => setTimeout(r, RESOLUTION_MS * 2.5));
    const pod = (await podStats(podName))!;
    const prom = await (await get('/metrics/cadvisor')).body;
    const b = await cpuFile(uid, container);
    const tB = Date.now();
    const c = pod.containers.find((x) => x.name === container)!;
    expect(c.cpu!.usageCoreNanoSeconds).toBeGreaterThanOrEqual(a);
    expect(c.cpu!.usageCoreNanoSeconds).toBeLessThanOrEqual(b);
    expect(Date.parse(c.cpu!.time)).toBeGreaterThanOrEqual(tA);
    expect(Date.parse(c.cpu!.time)).toBeLessThanOrEqual(tB);
    expect(((b - a) * 1000) / (tB - tA)).toBeGreaterThan(0.1e9); // it burns (on a shared machine, not always a core)
    // The rate is Δusage/Δtime between the last two samples: two summaries one round apart show both.
    const [before, after] = await consecutiveSamples(podName, container);
    expect(after.usageNanoCores).toBe(
      Math.round(
        ((after.usageCoreNanoSeconds! - before.usageCoreNanoSeconds!) * 1000) /
          (Date.parse(after.time) - Date.parse(before.time)),
      ),
    );
    // The pod's cgroup holds its containers.
    expect(pod.cpu!.usageCoreNanoSeconds!).toBeGreaterThanOrEqual(c.cpu!.usageCoreNanoSeconds!);
    const series = promSample(prom, 'container_cpu_usage_seconds_total', podName, container)!;
    expect(series.value * 1e9).toBeGreaterThanOrEqual(a - 1_000);
    expect(series.value * 1e9).toBeLessThanOrEqual(b + 1_000);
    expect(series.timestampMs).toBeGreaterThanOrEqual(tA);
    expect(series.timestampMs).toBeLessThanOrEqual(tB);
  }

  it("refuses a caller without a client certificate (401) and another component's (403), with a Status", async () => {
    for (const p of ['/stats/summary', '/metrics/cadvisor']) {
      const anonymous = await get(p, null);
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.body)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
      const scheduler = await get(p, 'scheduler');
      expect(scheduler.status).toBe(403);
      expect(JSON.parse(scheduler.body)).toMatchObject({
        kind: 'Status',
        code: 403,
        reason: 'Forbidden',
        message: 'Forbidden (user=system:skiff:scheduler)',
      });
    }
  });

  it('reports a runc container burning CPU as the cgroup counts it, in the summary and the cAdvisor text', async () => {
    await bed.createPod('burn', { containers: [{ name: 'burn', image: 'busybox', command: ['sh', '-c', BURN] }] });
    await running('burn');
    await expectCpuMatchesCgroup('burn', 'burn');
    const res = await get('/metrics/cadvisor');
    expect(res.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.body;
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter');
    expect(text).toMatch(
      new RegExp(
        `^container_cpu_usage_seconds_total\\{container="burn",cpu="total",namespace="${bed.namespace}",pod="burn"\\} `,
        'm',
      ),
    );
  });

  it("reports a container's memory (working set, rss) as the cgroup files hold it", async () => {
    // 64 MiB held in a shell variable (anonymous memory: rss and working set), next to an idle container.
    const hog = `x=$(head -c ${64 * MiB} /dev/zero | tr '\\000' a); echo held; ${TERM_FRIENDLY}`;
    await bed.createPod('mem', {
      containers: [
        { name: 'hog', image: 'busybox', command: ['sh', '-c', hog] },
        { name: 'idle', image: 'busybox', command: ['sh', '-c', TERM_FRIENDLY] },
      ],
    });
    await running('mem');
    const uid = (await bed.getPod('mem')).metadata.uid!;
    await waitFor(
      'hog holds 64 MiB',
      async () => {
        const c = (await podStats('mem'))?.containers.find((x) => x.name === 'hog');
        return (c?.memory?.rssBytes ?? 0) >= 64 * MiB ? c : undefined;
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, RESOLUTION_MS * 1.5));
    const pod = (await podStats('mem'))!;
    const prom = await (await get('/metrics/cadvisor')).body;
    const rel = containerCgroupPath(uid, 'hog');
    const usage = Number(await file('memory', rel, 'memory.usage_in_bytes'));
    const stat = await file('memory', rel, 'memory.stat');
    const field = (n: string) => Number(new RegExp(`^${n} (\\d+)$`, 'm').exec(stat)![1]);
    const workingSet = Math.max(0, usage - field('total_inactive_file'));
    const hogStats = pod.containers.find((c) => c.name === 'hog')!;
    const near = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThan(Math.max(2 * MiB, y * 0.05));
    near(hogStats.memory!.workingSetBytes!, workingSet);
    near(hogStats.memory!.rssBytes!, field('total_rss'));
    near(hogStats.memory!.usageBytes!, usage);
    near(promSample(prom, 'container_memory_working_set_bytes', 'mem', 'hog')!.value, workingSet);
    near(promSample(prom, 'container_memory_rss', 'mem', 'hog')!.value, field('total_rss'));
    // The pod's cgroup holds both containers and the pause; the idle one holds little.
    const idle = pod.containers.find((c) => c.name === 'idle')!;
    expect(idle.memory!.workingSetBytes!).toBeLessThan(16 * MiB);
    expect(pod.memory!.workingSetBytes!).toBeGreaterThanOrEqual(hogStats.memory!.workingSetBytes!);
    expect(pod.containers.map((c) => c.name).sort()).toEqual(['hog', 'idle']);
  });

  it("reports a gVisor container from its sandbox's cgroup (Sentry, gofer and the app's threads)", async () => {
    await bed.createPod('gvburn', {
      runtimeClassName: 'gvisor',
      containers: [{ name: 'burn', image: 'busybox', command: ['sh', '-c', BURN] }],
    });
    await running('gvburn');
    const uid = (await bed.getPod('gvburn')).metadata.uid!;
    const procs = (await file('cpuacct', containerCgroupPath(uid, 'burn'), 'cgroup.procs')).trim().split('\n');
    // runsc re-executes itself: argv[0] names the part.
    const argv0 = await Promise.all(
      procs.map(async (p) => (await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0')[0]),
    );
    expect(argv0).toEqual(expect.arrayContaining(['runsc-sandbox', 'runsc-gofer']));
    await expectCpuMatchesCgroup('gvburn', 'burn');
  });

  it('sums its pods into the node it serves', async () => {
    const s = await summary();
    expect(s.node.nodeName).toBe(`virtual-kubelet-${bed.config.zone}`);
    const total = s.pods.reduce((sum, p) => sum + p.cpu!.usageCoreNanoSeconds!, 0);
    expect(s.node.cpu!.usageCoreNanoSeconds).toBe(total);
    expect(s.pods.map((p) => p.podRef.name).sort()).toEqual(['burn', 'gvburn', 'mem']);
    for (const name of ['burn', 'gvburn']) {
      await bed.pods().delete(bed.namespace, name, { gracePeriodSeconds: 0 });
      const uid = bed.manager.known().find((r) => r.name === name)!.uid;
      await bed.manager.sync({ podUid: uid, namespace: bed.namespace, name });
    }
    await waitFor('deleted pods leave the summary', async () => {
      const names = (await summary()).pods.map((p) => p.podRef.name);
      return names.length === 1 && names[0] === 'mem' ? true : undefined;
    });
  });
});
