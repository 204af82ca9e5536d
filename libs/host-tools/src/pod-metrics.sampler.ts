import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { CgroupRoots, CgroupUsage, CgroupUsageReader } from './cgroup-usage.reader';

/** A running container whose cgroup is sampled. `startTime` also tells one instance from the next. */
export interface MetricsContainer {
  name: string;
  startTime: string;
  /** Relative to this process's own cgroup, as runc and runsc resolve a container's cgroupsPath. */
  cgroup: string;
}

export interface MetricsPod {
  uid: string;
  namespace: string;
  name: string;
  startTime: string;
  /** The pod's cgroup: every container of the pod (and a runc pod's pause) below it. */
  cgroup: string;
  containers: MetricsContainer[];
}

/** Which pods and containers to sample now, asked each round. */
export type MetricsPodSource = () => MetricsPod[];

export interface UsageSample extends CgroupUsage {
  timeMs: number;
}

/** The last two samples of one cgroup; `previous` is absent for a new cgroup (or one whose counter went back). */
export interface UsageWindow {
  last: UsageSample;
  previous?: UsageSample;
}

export interface SampledContainer {
  container: MetricsContainer;
  usage: UsageWindow;
}

export interface SampledPod {
  pod: MetricsPod;
  usage: UsageWindow;
  containers: SampledContainer[];
}

/** What the last round read; `timeMs` is absent before the first round. */
export interface MetricsSnapshot {
  timeMs?: number;
  pods: SampledPod[];
}

/** CPU rate over the window in nanocores (kubelet's usageNanoCores); undefined with fewer than two samples. */
export function usageNanoCores(w: UsageWindow): number | undefined {
  if (!w.previous) return undefined;
  return Math.round(((w.last.cpuUsageNs - w.previous.cpuUsageNs) * 1000) / (w.last.timeMs - w.previous.timeMs));
}

/**
 * Every `resolutionMs`, reads the cgroup of every pod the source names and of each of its running containers,
 * and keeps the last two samples of each (the rate is taken between them). Cgroups that are gone are dropped.
 */
export class PodMetricsSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PodMetricsSampler.name);
  private readonly history = new Map<string, { instance: string; window: UsageWindow }>();
  private snapshot: MetricsSnapshot = { pods: [] };
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;

  constructor(
    private readonly reader: CgroupUsageReader,
    private readonly source: MetricsPodSource,
    private readonly clock: Clock,
    private readonly options: { resolutionMs: number },
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the rounds; one under way is finished first. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  latest(): MetricsSnapshot {
    return this.snapshot;
  }

  /** One round over every pod; yields to the event loop between pods so a big host never stalls it. */
  async sampleOnce(): Promise<void> {
    const roots = await this.reader.roots();
    const seen = new Set<string>();
    const pods: SampledPod[] = [];
    for (const pod of this.source()) {
      const containers: SampledContainer[] = [];
      for (const container of pod.containers) {
        const c = this.sample(`${pod.uid}/${container.name}`, container.startTime, container.cgroup, roots, seen);
        if (c) containers.push({ container, usage: c });
      }
      // The pod after its containers: its counters, read last, are never below theirs.
      const usage = this.sample(pod.uid, pod.startTime, pod.cgroup, roots, seen);
      if (usage) pods.push({ pod, usage, containers });
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const key of this.history.keys()) if (!seen.has(key)) this.history.delete(key);
    this.snapshot = { timeMs: this.clock.nowMs(), pods };
  }

  private sample(
    key: string,
    instance: string,
    cgroup: string,
    roots: CgroupRoots,
    seen: Set<string>,
  ): UsageWindow | undefined {
    const timeMs = this.clock.nowMs();
    const read = this.reader.read(roots, cgroup);
    if (!read) return undefined;
    seen.add(key);
    const before = this.history.get(key);
    const last = before?.instance === instance ? before.window.last : undefined;
    // A new instance, a cgroup made afresh (counter back to zero) or no time passed: no rate from this pair.
    const previous = last && last.cpuUsageNs <= read.cpuUsageNs && last.timeMs < timeMs ? last : undefined;
    const window = { last: { ...read, timeMs }, previous };
    this.history.set(key, { instance, window });
    return window;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const began = this.clock.nowMs();
      this.round = this.sampleOnce()
        .catch((err: unknown) => this.log.warn(`sampling pod cgroups: ${errorMessage(err)}`))
        .then(() => {
          if (!this.stopped) this.schedule(Math.max(0, this.options.resolutionMs - (this.clock.nowMs() - began)));
        });
    }, delayMs);
  }
}
