import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { SlbBackend, SlbBackendProber } from './slb-backend-prober';
import type { SlbHealthCheck } from './slb-options';

/** Waiting between probes behind a seam, so a spec can step through the checks one at a time. */
export abstract class HealthCheckTimer {
  /** Runs `run` once after `ms`; the returned function cancels it. */
  abstract after(ms: number, run: () => void): () => void;
}

@Injectable()
export class SystemHealthCheckTimer extends HealthCheckTimer {
  after(ms: number, run: () => void): () => void {
    // Probing alone must not keep the process alive.
    const timer = setTimeout(run, ms).unref();
    return () => clearTimeout(timer);
  }
}

interface BackendState {
  check: SlbHealthCheck;
  healthy: boolean;
  /** Consecutive results that disagree with `healthy`. */
  streak: number;
  stopped: boolean;
  cancel: () => void;
}

/**
 * Active health checks of SLB backends, as CLB does them: every backend is probed `interval` seconds after its
 * previous probe ended, turns unhealthy after `unhealthyThreshold` consecutive failures and healthy again after
 * `healthyThreshold` consecutive successes. Backends start healthy (they are Ready pods already). Listeners hear
 * of flips only, not of the changes `watch` itself makes.
 */
@Injectable()
export class SlbHealthChecker implements OnModuleDestroy {
  private readonly log = new Logger(SlbHealthChecker.name);
  private readonly watched = new Map<string, Map<SlbBackend, BackendState>>();
  private readonly listeners: ((lbKey: string) => void)[] = [];

  constructor(
    private readonly prober: SlbBackendProber,
    private readonly timer: HealthCheckTimer,
  ) {}

  onChange(listener: (lbKey: string) => void): void {
    this.listeners.push(listener);
  }

  /** Makes `backends` the checked set of `lbKey`: removed ones stop being probed, kept ones keep their health. */
  watch(lbKey: string, backends: Iterable<SlbBackend>, check: SlbHealthCheck): void {
    const previous = this.watched.get(lbKey) ?? new Map<SlbBackend, BackendState>();
    const next = new Map<SlbBackend, BackendState>();
    for (const backend of backends) {
      if (next.has(backend)) continue;
      const old = previous.get(backend);
      if (old && sameCheck(old.check, check)) {
        next.set(backend, old);
        continue;
      }
      // A changed check starts probing again with it; the health seen so far stays.
      const state: BackendState = { check, healthy: old?.healthy ?? true, streak: 0, stopped: false, cancel: () => {} };
      next.set(backend, state);
      this.schedule(lbKey, backend, state, 0);
    }
    for (const [backend, state] of previous) if (next.get(backend) !== state) stop(state);
    this.watched.set(lbKey, next);
  }

  unwatch(lbKey: string): void {
    for (const state of this.watched.get(lbKey)?.values() ?? []) stop(state);
    this.watched.delete(lbKey);
  }

  /** The backends of `lbKey` that are healthy now (none for a key not watched). */
  healthy(lbKey: string): Set<SlbBackend> {
    const healthy = new Set<SlbBackend>();
    for (const [backend, state] of this.watched.get(lbKey) ?? []) if (state.healthy) healthy.add(backend);
    return healthy;
  }

  onModuleDestroy(): void {
    for (const lbKey of [...this.watched.keys()]) this.unwatch(lbKey);
  }

  private schedule(lbKey: string, backend: SlbBackend, state: BackendState, delayMs: number): void {
    state.cancel = this.timer.after(delayMs, () => void this.probe(lbKey, backend, state));
  }

  private async probe(lbKey: string, backend: SlbBackend, state: BackendState): Promise<void> {
    const { check } = state;
    let ok: boolean;
    try {
      ok = await this.prober.probe(backend, check);
    } catch (err) {
      this.log.warn(`${lbKey}: probing ${backend} failed: ${errorMessage(err)}`);
      ok = false;
    }
    // Removed, or replaced by a new check, while the probe ran.
    if (state.stopped) return;
    if (ok === state.healthy) state.streak = 0;
    else if (++state.streak >= (ok ? check.healthyThreshold : check.unhealthyThreshold)) {
      state.healthy = ok;
      state.streak = 0;
      this.log.log(`${lbKey}: backend ${backend} is ${ok ? 'healthy' : 'unhealthy'} (${check.type} check)`);
      this.notify(lbKey);
    }
    this.schedule(lbKey, backend, state, check.intervalSeconds * 1000);
  }

  private notify(lbKey: string): void {
    for (const listener of this.listeners) {
      try {
        listener(lbKey);
      } catch (err) {
        this.log.error(`${lbKey}: health change listener failed: ${errorMessage(err)}`);
      }
    }
  }
}

function stop(state: BackendState): void {
  state.stopped = true;
  state.cancel();
}

function sameCheck(a: SlbHealthCheck, b: SlbHealthCheck): boolean {
  const fields = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof SlbHealthCheck>;
  // String() compares httpCodes by their entries.
  return [...fields].every((field) => String(a[field]) === String(b[field]));
}
