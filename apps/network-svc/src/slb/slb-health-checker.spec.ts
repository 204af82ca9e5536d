import { SlbBackend, SlbBackendProber } from './slb-backend-prober';
import { HealthCheckTimer, SlbHealthChecker } from './slb-health-checker';
import type { SlbHealthCheck } from './slb-options';

/** Timers that run only when the spec says so. */
class FakeTimer extends HealthCheckTimer {
  pending: { ms: number; run: () => void }[] = [];

  after(ms: number, run: () => void): () => void {
    const entry = { ms, run };
    this.pending.push(entry);
    return () => (this.pending = this.pending.filter((e) => e !== entry));
  }

  /** Runs every timer due now and lets the probes they start finish. */
  async tick(): Promise<void> {
    const due = this.pending;
    this.pending = [];
    for (const { run } of due) run();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Answers from a script per backend (healthy unless told otherwise); a backend may be held mid-probe. */
class FakeProber extends SlbBackendProber {
  readonly up = new Map<SlbBackend, boolean>();
  readonly probes: { backend: SlbBackend; check: SlbHealthCheck }[] = [];
  readonly held = new Map<SlbBackend, (ok: boolean) => void>();
  hold = new Set<SlbBackend>();

  probe(backend: SlbBackend, check: SlbHealthCheck): Promise<boolean> {
    this.probes.push({ backend, check });
    if (this.hold.has(backend)) return new Promise((resolve) => this.held.set(backend, resolve));
    if (backend === 'throws') return Promise.reject(new Error('boom'));
    return Promise.resolve(this.up.get(backend) ?? true);
  }

  probed(backend: SlbBackend): number {
    return this.probes.filter((p) => p.backend === backend).length;
  }
}

const CHECK: SlbHealthCheck = {
  type: 'tcp',
  uri: '/',
  httpCodes: ['http_2xx'],
  intervalSeconds: 2,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};
const A = '10.244.0.5:8080';
const B = '10.244.0.6:8080';
const C = '10.244.0.7:8080';

describe(SlbHealthChecker.name, () => {
  let timer: FakeTimer;
  let prober: FakeProber;
  let checker: SlbHealthChecker;
  let changes: string[];

  beforeEach(() => {
    timer = new FakeTimer();
    prober = new FakeProber();
    checker = new SlbHealthChecker(prober, timer);
    changes = [];
    checker.onChange((key) => changes.push(key));
  });

  it('starts backends healthy, probes them at once and then every interval', async () => {
    checker.watch('default/web:80', [A, B], CHECK);
    expect(checker.healthy('default/web:80')).toEqual(new Set([A, B]));
    expect(checker.healthy('default/other:80')).toEqual(new Set());
    expect(timer.pending.map((t) => t.ms)).toEqual([0, 0]);
    await timer.tick();
    expect(prober.probes).toEqual([
      { backend: A, check: CHECK },
      { backend: B, check: CHECK },
    ]);
    expect(timer.pending.map((t) => t.ms)).toEqual([2000, 2000]);
  });

  it('turns a backend unhealthy after unhealthyThreshold consecutive failures, and healthy after healthyThreshold successes', async () => {
    checker.watch('lb', [A, B], CHECK);
    prober.up.set(A, false);
    await timer.tick();
    await timer.tick();
    // A success breaks the streak.
    prober.up.set(A, true);
    await timer.tick();
    prober.up.set(A, false);
    await timer.tick();
    await timer.tick();
    expect(checker.healthy('lb')).toEqual(new Set([A, B]));
    expect(changes).toEqual([]);
    await timer.tick();
    expect(checker.healthy('lb')).toEqual(new Set([B]));
    expect(changes).toEqual(['lb']);

    prober.up.set(A, true);
    await timer.tick();
    expect(checker.healthy('lb')).toEqual(new Set([B]));
    await timer.tick();
    expect(checker.healthy('lb')).toEqual(new Set([A, B]));
    expect(changes).toEqual(['lb', 'lb']);
    // Still probed at the interval while unhealthy and after.
    expect(prober.probed(A)).toBe(8);
  });

  it('counts a probe that throws as a failure', async () => {
    checker.watch('lb', ['throws'], CHECK);
    for (let i = 0; i < 3; i++) await timer.tick();
    expect(checker.healthy('lb')).toEqual(new Set());
    expect(changes).toEqual(['lb']);
  });

  it('replaces the set: removed backends stop, kept ones keep their health, new ones start healthy', async () => {
    checker.watch('lb', [A, B], CHECK);
    prober.up.set(A, false);
    for (let i = 0; i < 3; i++) await timer.tick();
    expect(checker.healthy('lb')).toEqual(new Set([B]));

    checker.watch('lb', [A, C], CHECK);
    expect(checker.healthy('lb')).toEqual(new Set([C]));
    const probedB = prober.probed(B);
    for (let i = 0; i < 3; i++) await timer.tick();
    expect(prober.probed(B)).toBe(probedB);
    expect(prober.probed(C)).toBe(3);
    expect(changes).toEqual(['lb']);
  });

  it('ignores the answer of a probe that was running when its backend was removed', async () => {
    checker.watch('lb', [A], CHECK);
    prober.hold.add(A);
    await timer.tick();
    checker.watch('lb', [B], CHECK);
    prober.held.get(A)?.(false);
    await timer.tick();
    expect(timer.pending).toHaveLength(1); // B's next probe only
    expect(checker.healthy('lb')).toEqual(new Set([B]));
  });

  it('probes again with a changed check, keeping the health seen so far', async () => {
    checker.watch('lb', [A], CHECK);
    prober.up.set(A, false);
    for (let i = 0; i < 3; i++) await timer.tick();
    const http: SlbHealthCheck = { ...CHECK, type: 'http', uri: '/healthz', intervalSeconds: 5 };
    checker.watch('lb', [A], http);
    expect(checker.healthy('lb')).toEqual(new Set());
    expect(timer.pending.map((t) => t.ms)).toEqual([0]);
    prober.up.set(A, true);
    await timer.tick();
    await timer.tick();
    expect(prober.probes.at(-1)).toEqual({ backend: A, check: http });
    expect(timer.pending.map((t) => t.ms)).toEqual([5000]);
    expect(checker.healthy('lb')).toEqual(new Set([A]));

    // The same check again (a resync) leaves the probing alone.
    checker.watch('lb', [A], { ...http, httpCodes: ['http_2xx'] });
    expect(timer.pending.map((t) => t.ms)).toEqual([5000]);
  });

  it('stops everything on unwatch and on shutdown', async () => {
    checker.watch('one', [A], CHECK);
    checker.watch('two', [B], CHECK);
    checker.unwatch('one');
    expect(checker.healthy('one')).toEqual(new Set());
    expect(timer.pending).toHaveLength(1);
    checker.onModuleDestroy();
    expect(timer.pending).toHaveLength(0);
    expect(checker.healthy('two')).toEqual(new Set());
  });

  it('keeps probing when a change listener throws', async () => {
    checker.onChange(() => {
      throw new Error('listener broke');
    });
    checker.watch('lb', [A], CHECK);
    prober.up.set(A, false);
    for (let i = 0; i < 4; i++) await timer.tick();
    expect(changes).toEqual(['lb']);
    expect(prober.probed(A)).toBe(4);
  });
});
