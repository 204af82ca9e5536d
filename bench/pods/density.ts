import { performance } from 'node:perf_hooks';
import { summarize, LatencySummary } from '../stats';
import { sleep } from './host-command';
import { memAvailable, podCgroupMemory } from './host-probe';
import { DeleteOutcome, PodFleet } from './pod-fleet';

export interface DensityOptions {
  batchSize: number;
  maxPods: number;
  /** Stop adding batches once one takes longer than this to be all Running. */
  slowBatchMs: number;
  /** Stop adding batches after this much time overall (the whole bench has a budget). */
  budgetMs: number;
  agentPid?: number;
}

export interface DensityBatch {
  pods: number;
  /** first POST → last Running of the batch */
  ms: number;
  latency: LatencySummary;
  failed: number;
}

export interface DensityResult {
  running: number;
  batches: DensityBatch[];
  stoppedBecause: string;
  memAvailableBefore: number;
  memAvailableAfter: number;
  /** MemAvailable drop per running pod (includes conmon, agent bookkeeping, kernel objects) */
  bytesPerPod: number;
  /** sum of the pods' cgroup memory.usage_in_bytes (only what is charged to the pods) */
  cgroupBytes: number;
  cgroupPods: number;
  deletion?: DeleteOutcome;
}

/** Idle busybox pods (runc) in batches until the bound, a slow batch, a failure or the time budget. */
export async function measureDensity(
  fleet: PodFleet,
  opts: DensityOptions,
  log: (line: string) => void,
): Promise<DensityResult> {
  const t0 = performance.now();
  // Let the previous phase's teardown settle so MemAvailable starts from a quiet host.
  await sleep(2000);
  const before = await memAvailable();
  const batches: DensityBatch[] = [];
  const uids: string[] = [];
  let running = 0;
  let stoppedBecause = `bound of ${opts.maxPods} pods reached`;
  for (let b = 0; running < opts.maxPods; b++) {
    if (performance.now() - t0 > opts.budgetMs) {
      stoppedBecause = `time budget (${(opts.budgetMs / 1000).toFixed(0)} s) used`;
      break;
    }
    const size = Math.min(opts.batchSize, opts.maxPods - running);
    const names = Array.from({ length: size }, (_, i) => `dense-${b * opts.batchSize + i}`);
    const bt = performance.now();
    const starts = await fleet.start(names, 'runc', Math.max(opts.slowBatchMs * 3, 60_000));
    const ok = starts.filter((s) => s.ms !== undefined);
    for (const s of starts) if (s.uid) uids.push(s.uid);
    running += ok.length;
    const ms = Math.max(0, ...ok.map((s) => s.ms!));
    batches.push({ pods: size, ms, latency: summarize(ok.map((s) => s.ms!)), failed: size - ok.length });
    log(
      `pods:   density batch ${b + 1}: ${ok.length}/${size} Running in ${(ms / 1000).toFixed(1)} s (${running} running, ${((performance.now() - bt) / 1000).toFixed(1)} s)`,
    );
    if (ok.length < size) {
      const problem = starts.find((s) => s.problem)?.problem ?? 'unknown';
      stoppedBecause = `${size - ok.length} pods of batch ${b + 1} did not run (${problem})`;
      break;
    }
    if (ms > opts.slowBatchMs) {
      stoppedBecause = `batch ${b + 1} took ${(ms / 1000).toFixed(1)} s > ${(opts.slowBatchMs / 1000).toFixed(0)} s`;
      break;
    }
  }
  await sleep(2000);
  const after = await memAvailable();
  const cg = await podCgroupMemory(opts.agentPid, uids);
  return {
    running,
    batches,
    stoppedBecause,
    memAvailableBefore: before,
    memAvailableAfter: after,
    bytesPerPod: running > 0 ? (before - after) / running : Number.NaN,
    cgroupBytes: cg.bytes,
    cgroupPods: cg.found,
  };
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
