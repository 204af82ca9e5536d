import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailureLog } from './stats';

/** The ConfigMap operations a load mix needs; implemented over the API and over raw Postgres. */
export interface ConfigMapStore {
  create(ns: string, name: string, data: Record<string, string>): Promise<string>;
  get(ns: string, name: string): Promise<string>;
  update(ns: string, name: string, resourceVersion: string, data: Record<string, string>): Promise<string>;
  patch(ns: string, name: string, data: Record<string, string>): Promise<string>;
  remove(ns: string, name: string): Promise<void>;
  /** Turns a thrown error into (method, path, status, message) for the failure log. */
  describeError(err: unknown): { method: string; path: string; status: number; message: string };
}

export type WriteOp = 'create' | 'update' | 'patch' | 'delete';

interface PooledObject {
  ns: string;
  name: string;
  rv: string;
  busy: boolean;
  gone: boolean;
}

/**
 * Mixed create/update/patch/delete over a pool of live ConfigMaps. An object is never
 * written by two requests at once, so a 409 in the report is the server's doing.
 */
export class MixedWorkload {
  private readonly live: PooledObject[] = [];
  private seq = 0;
  readonly counts: Record<WriteOp, number> = { create: 0, update: 0, patch: 0, delete: 0 };

  constructor(
    private readonly store: ConfigMapStore,
    private readonly namespaces: string[],
    private readonly prefix: string,
    readonly failures: FailureLog,
    // Keep the pool between these sizes so deletes and creates balance out.
    private readonly low = 50,
    private readonly high = 400,
  ) {}

  /** Runs one write; resolves true on success, false on a failure (logged). */
  async once(): Promise<boolean> {
    const target = this.pickIdle();
    const op = this.chooseOp(target !== undefined);
    this.counts[op]++;
    if (op === 'create' || !target) return this.create();
    target.busy = true;
    const data = payload(this.seq++);
    try {
      if (op === 'update') target.rv = await this.store.update(target.ns, target.name, target.rv, data);
      else if (op === 'patch') target.rv = await this.store.patch(target.ns, target.name, data);
      else {
        await this.store.remove(target.ns, target.name);
        target.gone = true;
        this.compact();
      }
      return true;
    } catch (err) {
      this.fail(op, err);
      return false;
    } finally {
      target.busy = false;
    }
  }

  private async create(): Promise<boolean> {
    const n = this.seq++;
    const ns = this.namespaces[n % this.namespaces.length];
    const name = `${this.prefix}-${n}`;
    try {
      const rv = await this.store.create(ns, name, payload(n));
      this.live.push({ ns, name, rv, busy: false, gone: false });
      return true;
    } catch (err) {
      this.fail('create', err);
      return false;
    }
  }

  private chooseOp(haveTarget: boolean): WriteOp {
    if (!haveTarget || this.live.length < this.low) return 'create';
    const r = Math.random();
    if (this.live.length > this.high) return r < 0.5 ? 'delete' : r < 0.75 ? 'update' : 'patch';
    return r < 0.25 ? 'create' : r < 0.5 ? 'update' : r < 0.75 ? 'patch' : 'delete';
  }

  private pickIdle(): PooledObject | undefined {
    for (let tries = 0; tries < 8 && this.live.length > 0; tries++) {
      const o = this.live[Math.floor(Math.random() * this.live.length)];
      if (!o.busy && !o.gone) return o;
    }
    return undefined;
  }

  private compact(): void {
    for (let i = this.live.length - 1; i >= 0; i--) if (this.live[i].gone) this.live.splice(i, 1);
  }

  private fail(op: WriteOp, err: unknown): void {
    this.failures.add({ op, ...this.store.describeError(err) });
  }
}

export function payload(seq: number): Record<string, string> {
  // ~300 bytes of data: a small but realistic ConfigMap.
  return { seq: String(seq), 'app.properties': `mode=bench\nseq=${seq}\n${'x'.repeat(256)}` };
}

export interface LoadResult {
  latencies: number[];
  ok: number;
  failed: number;
  issued: number;
  /** Open loop only: due requests not sent because the backlog was already full. */
  skipped: number;
  elapsedMs: number;
  /** Successful completions per second over the whole run. */
  rate: number;
}

/**
 * Open loop: request i is due at start + i/rate and is sent then whatever is still in
 * flight; latency runs from the due time, so queueing in the client counts as well.
 * Once `maxBacklogMs` worth of requests is in flight the server is saturated: further due
 * requests are skipped (and counted) so an overloaded run still ends on time.
 */
export async function runOpenLoop(
  ratePerSec: number,
  durationMs: number,
  fire: () => Promise<boolean>,
  progress: (line: string) => void,
  maxBacklogMs = 2000,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  const maxInflight = Math.max(1, Math.round((ratePerSec * maxBacklogMs) / 1000));
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  const total = Math.round((ratePerSec * durationMs) / 1000);
  const interval = 1000 / ratePerSec;
  const start = performance.now();
  let nextReport = start + 10_000;
  for (let i = 0; i < total;) {
    const now = performance.now();
    while (i < total && start + i * interval <= now) {
      const due = start + i * interval;
      i++;
      if (inflight.size >= maxInflight) {
        skipped++;
        continue;
      }
      const p: Promise<void> = fire().then((success) => {
        if (success) {
          ok++;
          latencies.push(performance.now() - due);
        } else failed++;
        inflight.delete(p);
      });
      inflight.add(p);
    }
    if (now >= nextReport) {
      progress(
        `${Math.round((now - start) / 1000)} s: ${ok} ok, ${failed} failed, ${inflight.size} in flight, ${skipped} skipped (backlog full)`,
      );
      nextReport += 10_000;
    }
    if (i < total) await sleep(Math.max(0, start + i * interval - performance.now()));
  }
  await Promise.all(inflight);
  const elapsedMs = performance.now() - start;
  return { latencies, ok, failed, issued: total - skipped, skipped, elapsedMs, rate: ok / (elapsedMs / 1000) };
}

/** Closed loop: `workers` callers each send the next request as soon as the last returns. */
export async function runClosedLoop(
  workers: number,
  durationMs: number,
  fire: () => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (await fire()) {
        ok++;
        latencies.push(performance.now() - t0);
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const elapsedMs = performance.now() - start;
  return { latencies, ok, failed, issued: ok + failed, skipped: 0, elapsedMs, rate: ok / (elapsedMs / 1000) };
}

/** Sequential: `count` calls one after another (after `warmup` unmeasured ones). */
export async function runSequential(
  count: number,
  warmup: number,
  call: (i: number) => Promise<void>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call(i);
  const latencies: number[] = [];
  for (let i = warmup; i < warmup + count; i++) {
    const t0 = performance.now();
    await call(i);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}
