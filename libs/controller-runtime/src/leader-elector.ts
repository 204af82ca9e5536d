import { KubeObject, errorMessage } from '@skiff/api-machinery';
import {
  consoleLogger,
  isAlreadyExists,
  isConflict,
  isNotFound,
  KubeClientLogger,
  ResourceClient,
  ResourceRef,
} from '@skiff/kube-client';
import { InterruptibleSleep } from './interruptible-sleep';
import { LEASES } from './resources';

/** coordination.k8s.io/v1 Lease. */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** What the elector needs from a client (a fake in unit specs). */
export interface LeaseClient {
  resource<T extends KubeObject>(ref: ResourceRef): Pick<ResourceClient<T>, 'get' | 'create' | 'update'>;
}

export interface LeaderElectorOptions {
  /** Default "kube-system". */
  namespace?: string;
  name: string;
  /** Unique per replica, e.g. hostname + pid. */
  identity: string;
  /** Default 15. */
  leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it steps down; default 10 s (< lease duration). */
  renewDeadlineMs?: number;
  /** Between acquire and renew attempts; default 2 s. */
  retryPeriodMs?: number;
  /** Clear holderIdentity on stop() so a successor need not wait out the lease; default true. */
  releaseOnStop?: boolean;
  clock?: () => Date;
  logger?: KubeClientLogger;
}

export interface LeaderCallbacks {
  /** Start leader-only work; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading(): void;
}

type Attempt = 'held' | 'other' | 'failed';

/**
 * Leader election on a Lease with client-go's semantics: acquire when the lease is absent,
 * released, expired (renewTime + leaseDurationSeconds < now) or already ours; renew every
 * retryPeriod; writes use resourceVersion (409 means someone else won the race, try again).
 * After losing the lease `run` goes back to contending, so a long-lived replica can lead again.
 */
export class LeaderElector {
  private readonly leases: Pick<ResourceClient<Lease>, 'get' | 'create' | 'update'>;
  private readonly ns: string;
  private readonly durationS: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly clock: () => Date;
  private readonly logger: KubeClientLogger;
  private leading = false;
  private stopped = false;
  private running?: Promise<void>;
  private readonly pause = new InterruptibleSleep();

  constructor(
    client: LeaseClient,
    private readonly opts: LeaderElectorOptions,
  ) {
    this.leases = client.resource<Lease>(LEASES);
    this.ns = opts.namespace ?? 'kube-system';
    this.durationS = opts.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.clock = opts.clock ?? (() => new Date());
    this.logger = opts.logger ?? consoleLogger;
    // As client-go: a leader must give up before its lease can expire under someone else.
    if (!(this.durationS * 1000 > this.renewDeadlineMs && this.renewDeadlineMs > this.retryMs * 1.2)) {
      throw new Error('leader election needs leaseDurationSeconds*1000 > renewDeadlineMs > retryPeriodMs*1.2');
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Contends for the lease until stop(); resolves once stopped (and released). */
  run(callbacks: LeaderCallbacks): Promise<void> {
    if (!this.running) {
      this.stopped = false;
      this.running = this.loop(callbacks);
    }
    return this.running;
  }

  /** Stops contending; if leading, ends leadership and clears holderIdentity. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.running;
    this.running = undefined;
  }

  private async loop(callbacks: LeaderCallbacks): Promise<void> {
    while (!this.stopped) {
      if ((await this.attempt(this.renewDeadlineMs)) !== 'held') {
        await this.pause.sleep(this.retryMs * (1 + Math.random() * 0.2));
        continue;
      }
      if (this.stopped) {
        if (this.opts.releaseOnStop !== false) await this.release();
        break;
      }
      this.leading = true;
      const abort = new AbortController();
      this.started(callbacks, abort.signal);
      await this.renewUntilLost();
      this.leading = false;
      // Leader work stops before the lease is released, so no successor overlaps with it.
      abort.abort();
      try {
        callbacks.onStoppedLeading();
      } catch (err) {
        this.logger.warn(`leader election ${this.opts.name}: onStoppedLeading failed: ${errorMessage(err)}`);
      }
      if (this.stopped && this.opts.releaseOnStop !== false) await this.release();
    }
  }

  private started(callbacks: LeaderCallbacks, signal: AbortSignal): void {
    const fail = (err: unknown): void =>
      this.logger.warn(`leader election ${this.opts.name}: onStartedLeading failed: ${errorMessage(err)}`);
    try {
      void Promise.resolve(callbacks.onStartedLeading(signal)).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /** Renews every retry period; returns when stopped, when another holder shows up or after renewDeadline without a renewal. */
  private async renewUntilLost(): Promise<void> {
    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.pause.sleep(this.retryMs);
      if (this.stopped) return;
      const left = this.renewDeadlineMs - (Date.now() - lastRenew);
      const result = await this.attempt(Math.max(left, 1));
      if (result === 'held') lastRenew = Date.now();
      else if (result === 'other' || Date.now() - lastRenew >= this.renewDeadlineMs) {
        this.logger.warn(`leader election ${this.opts.name}: ${this.opts.identity} lost the lease`);
        return;
      }
    }
  }

  /** One try, bounded by `withinMs` so a hung request cannot keep a stale leader leading. */
  private async attempt(withinMs: number): Promise<Attempt> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Attempt>((resolve) => (timer = setTimeout(() => resolve('failed'), withinMs)));
    try {
      return await Promise.race([this.tryAcquireOrRenew(), timeout]);
    } catch (err) {
      this.logger.warn(`leader election ${this.opts.name}: ${errorMessage(err)}`);
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const now = this.clock();
    let lease: Lease;
    try {
      lease = await this.leases.get(this.ns, this.opts.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.leases.create(this.ns, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.opts.name, namespace: this.ns },
          spec: {
            holderIdentity: this.opts.identity,
            leaseDurationSeconds: this.durationS,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return 'held';
      } catch (createErr) {
        if (isAlreadyExists(createErr)) return 'failed';
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === this.opts.identity;
    if (!ours && holder !== '' && !expired(spec, now)) return 'other';
    const renewed: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.durationS,
        renewTime: microTime(now),
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    try {
      await this.leases.update(this.ns, renewed);
      return 'held';
    } catch (err) {
      // Another replica wrote the lease since we read it: re-read on the next attempt.
      if (isConflict(err)) return 'failed';
      throw err;
    }
  }

  private async release(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      try {
        const lease = await this.leases.get(this.ns, this.opts.name);
        if (lease.spec?.holderIdentity !== this.opts.identity) return;
        const spec = { ...lease.spec };
        delete spec.holderIdentity;
        await this.leases.update(this.ns, { ...lease, spec: { ...spec, renewTime: microTime(this.clock()) } });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) {
          this.logger.warn(`leader election ${this.opts.name}: release failed: ${errorMessage(err)}`);
          return;
        }
      }
    }
  }
}

function expired(spec: NonNullable<Lease['spec']>, now: Date): boolean {
  const renewed = Date.parse(spec.renewTime ?? '');
  if (Number.isNaN(renewed)) return true;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
}

/** metav1.MicroTime: RFC 3339 with six fractional digits, e.g. 2026-01-02T03:04:05.123456Z. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
