import { Clock } from '@skiff/api-machinery';
import { CgroupUsageReader, CgroupV1, MetricsPod, PodMetricsSampler } from '@skiff/host-tools';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { percentile } from '../stats';

const ROUNDS = 30;
const RESOLUTION_SECONDS = 15;
// The hierarchies the sampler reads.
const CONTROLLERS = ['cpuacct', 'memory'];

export interface AgentMetricsCost {
  pods: number;
  rounds: number;
  /** The agent's CPU (user + system) for one sampling round over every pod, in ms. */
  cpuMsPerRound: { median: number; p99: number };
  /** The median round every 15 s, for 100 pods, as a share of one core in %. */
  corePercentPer100PodsAt15s: number;
}

/**
 * The agent's cost of resource metrics: `pods` real cgroups laid out as the agent's pods are
 * (`skiff/bench-<random>/p<i>` with one container `app` holding a sleeping process), sampled by the
 * agent's own sampler round after round; each round's CPU is this process's `cpuUsage` delta.
 */
export async function measureAgentMetricsCost(pods: number, log: (line: string) => void): Promise<AgentMetricsCost> {
  const cgroups = new CgroupV1();
  const tree = `skiff/bench-${randomBytes(4).toString('hex')}`;
  const targets: MetricsPod[] = [];
  const sleepers: ChildProcess[] = [];
  try {
    log(`autoscaling: ${pods} pod cgroups under ${tree}, one sleeping process each`);
    for (let i = 0; i < pods; i++) {
      const pod = `${tree}/p${i}`;
      const app = `${pod}/app`;
      const sleeper = spawn('sleep', ['3600'], { stdio: 'ignore' });
      sleepers.push(sleeper);
      for (const controller of CONTROLLERS) {
        const dir = await cgroups.dir(controller, app);
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(path.join(dir, 'cgroup.procs'), `${sleeper.pid}\n`);
      }
      const startTime = new Date().toISOString();
      targets.push({
        uid: `bench-${i}`,
        namespace: 'bench',
        name: `p${i}`,
        startTime,
        cgroup: pod,
        containers: [{ name: 'app', startTime, cgroup: app }],
      });
    }
    const sampler = new PodMetricsSampler(new CgroupUsageReader(cgroups), () => targets, new Clock(), {
      resolutionMs: RESOLUTION_SECONDS * 1000,
    });
    await sampler.sampleOnce(); // warm-up: first file opens, JIT
    const cpuMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const before = process.cpuUsage();
      await sampler.sampleOnce();
      const used = process.cpuUsage(before);
      cpuMs.push((used.user + used.system) / 1000);
      const sampled = sampler.latest().pods;
      if (sampled.length !== pods || sampled.some((p) => p.containers.length !== 1))
        throw new Error(`round ${r}: ${sampled.length} of ${pods} pods sampled`);
    }
    const sorted = Float64Array.from(cpuMs).sort();
    const median = percentile(sorted, 50);
    const cost: AgentMetricsCost = {
      pods,
      rounds: ROUNDS,
      cpuMsPerRound: { median, p99: percentile(sorted, 99) },
      corePercentPer100PodsAt15s: (((median / pods) * 100) / (RESOLUTION_SECONDS * 1000)) * 100,
    };
    log(
      `autoscaling: agent metrics, ${pods} pods: ${median.toFixed(2)} ms CPU per round (p99 ${cost.cpuMsPerRound.p99.toFixed(2)}), ` +
        `${cost.corePercentPer100PodsAt15s.toFixed(3)} % of one core per 100 pods at ${RESOLUTION_SECONDS} s`,
    );
    return cost;
  } finally {
    await Promise.all(sleepers.map(stop));
    for (const controller of CONTROLLERS) {
      for (const t of targets) {
        await fs.rmdir(await cgroups.dir(controller, t.containers[0].cgroup)).catch(() => undefined);
        await fs.rmdir(await cgroups.dir(controller, t.cgroup)).catch(() => undefined);
      }
      await fs.rmdir(await cgroups.dir(controller, tree)).catch(() => undefined);
      await fs.rmdir(await cgroups.dir(controller, 'skiff')).catch(() => undefined); // only when nothing else is there
    }
  }
}

// By its PID (the ChildProcess), and waited for: a cgroup with a task left cannot be removed.
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
