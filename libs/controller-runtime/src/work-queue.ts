import { Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

/** What a reconcile asks for next: nothing, or another look after `requeueAfterMs`. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** A failure that retrying will not fix (bad input): logged, not retried. */
export class TerminalReconcileError extends Error {}

const BASE_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 30_000;

/**
 * client-go's rate-limited work queue, small: a key is queued at most once, processed by one
 * worker at a time, retried with exponential backoff on error, and may ask to be looked at later.
 */
export class WorkQueue {
  private readonly log: Logger;
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private drained?: () => void;
  private running = 0;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly reconcile: Reconcile,
    private readonly concurrency = 4,
  ) {
    this.log = new Logger(name);
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key); // seen again while being reconciled: run once more afterwards
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Looks at `key` again after `ms`; of several pending delays the earliest wins (as client-go's AddAfter). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const due = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { timer, due });
  }

  /** Takes no more work; resolves once the reconciles already running have finished. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.order.length = 0;
    this.queued.clear();
    this.dirty.clear();
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  get length(): number {
    return this.order.length;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.order.length > 0) {
      const key = this.order.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.reconcile(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (err instanceof TerminalReconcileError) {
        this.log.warn(`${key}: ${err.message}`);
      } else {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        const delay = Math.min(BASE_BACKOFF_MS * 2 ** (n - 1), MAX_BACKOFF_MS);
        this.log.warn(`${key}: ${errorMessage(err)} (retry ${n} in ${delay} ms)`);
        this.addAfter(key, delay);
      }
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.stopped && this.running === 0) this.drained?.();
    }
  }
}
