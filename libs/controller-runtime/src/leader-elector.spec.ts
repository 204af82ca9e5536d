import { KubeObject } from '@skiff/api-machinery';
import { KubeApiError, ResourceClient } from '@skiff/kube-client';
import { LeaderElector, Lease, LeaseClient, microTime } from './leader-elector';

// One Lease in memory with the API's optimistic concurrency.
class FakeLeases {
  lease?: Lease;
  rv = 1;
  failing = false;
  conflictNext = false;

  client(): LeaseClient {
    const api = {
      get: async () => {
        this.check();
        if (!this.lease) throw new KubeApiError(404, 'NotFound', 'leases "l" not found');
        return structuredClone(this.lease);
      },
      create: async (_ns: string | undefined, obj: Lease) => {
        this.check();
        if (this.lease) throw new KubeApiError(409, 'AlreadyExists', 'exists');
        this.lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
        return this.lease;
      },
      update: async (_ns: string | undefined, obj: Lease) => {
        this.check();
        if (this.conflictNext || obj.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
          this.conflictNext = false;
          throw new KubeApiError(409, 'Conflict', 'the object has been modified');
        }
        this.lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
        return this.lease;
      },
    };
    return {
      resource: <T extends KubeObject>() => api as unknown as Pick<ResourceClient<T>, 'get' | 'create' | 'update'>,
    };
  }

  private check(): void {
    if (this.failing) throw new Error('connect ECONNREFUSED');
  }
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
}

describe(LeaderElector.name, () => {
  let leases: FakeLeases;
  let electors: LeaderElector[];
  const silent = { warn: () => undefined };

  beforeEach(() => {
    leases = new FakeLeases();
    electors = [];
  });
  afterEach(async () => {
    await Promise.all(electors.map((e) => e.stop()));
  });

  function elector(identity: string, extra: { clock?: () => Date; releaseOnStop?: boolean } = {}): LeaderElector {
    const e = new LeaderElector(leases.client(), {
      name: 'l',
      identity,
      leaseDurationSeconds: 1,
      renewDeadlineMs: 200,
      retryPeriodMs: 20,
      logger: silent,
      ...extra,
    });
    electors.push(e);
    return e;
  }

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.123Z'))).toBe('2026-01-02T03:04:05.123000Z');
  });

  it('creates the lease when absent and renews it while leading', async () => {
    const a = elector('a');
    let signal: AbortSignal | undefined;
    void a.run({ onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => undefined });
    await until(() => a.isLeader());
    expect(leases.lease!.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(leases.lease!.spec!.acquireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const firstRenew = leases.lease!.spec!.renewTime;
    await until(() => leases.lease!.spec!.renewTime !== firstRenew);
    expect(leases.lease!.spec!.acquireTime).not.toBe(leases.lease!.spec!.renewTime);
    expect(signal!.aborted).toBe(false);
  });

  it('does not take a lease another holder keeps renewing, and takes it over once expired', async () => {
    const renewed = new Date();
    leases.lease = {
      metadata: { name: 'l', namespace: 'kube-system', resourceVersion: '1' },
      spec: {
        holderIdentity: 'other',
        leaseDurationSeconds: 1,
        renewTime: microTime(renewed),
        acquireTime: microTime(renewed),
        leaseTransitions: 4,
      },
    };
    let now = renewed;
    const b = elector('b', { clock: () => now });
    void b.run({ onStartedLeading: () => undefined, onStoppedLeading: () => undefined });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.isLeader()).toBe(false);
    now = new Date(renewed.getTime() + 1001);
    await until(() => b.isLeader());
    expect(leases.lease!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 5, acquireTime: microTime(now) });
  });

  it('retries after a 409 Conflict', async () => {
    leases.conflictNext = true;
    leases.lease = { metadata: { name: 'l', namespace: 'kube-system', resourceVersion: '1' }, spec: {} };
    const a = elector('a');
    void a.run({ onStartedLeading: () => undefined, onStoppedLeading: () => undefined });
    await until(() => a.isLeader());
    expect(leases.lease!.spec!.holderIdentity).toBe('a');
  });

  it('steps down when it cannot renew within the deadline, aborting the leader work', async () => {
    const a = elector('a');
    let signal: AbortSignal | undefined;
    let stopped = 0;
    void a.run({ onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => void stopped++ });
    await until(() => a.isLeader());
    leases.failing = true;
    await until(() => !a.isLeader());
    expect(signal!.aborted).toBe(true);
    expect(stopped).toBe(1);
    leases.failing = false;
    await until(() => a.isLeader()); // and contends again
  });

  it('releases the lease on stop so a follower takes over at once', async () => {
    const a = elector('a');
    const b = elector('b');
    let stoppedA = 0;
    void a.run({ onStartedLeading: () => undefined, onStoppedLeading: () => void stoppedA++ });
    await until(() => a.isLeader());
    void b.run({ onStartedLeading: () => undefined, onStoppedLeading: () => undefined });
    await new Promise((r) => setTimeout(r, 60));
    expect(b.isLeader()).toBe(false);
    await a.stop();
    expect(stoppedA).toBe(1);
    expect(a.isLeader()).toBe(false);
    await until(() => b.isLeader(), 300); // well inside the 1 s lease: it was released
    expect(leases.lease!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('survives a throwing onStartedLeading and refuses inconsistent timings', async () => {
    const a = elector('a');
    void a.run({
      onStartedLeading: () => {
        throw new Error('boom');
      },
      onStoppedLeading: () => undefined,
    });
    await until(() => a.isLeader());
    expect(
      () =>
        new LeaderElector(leases.client(), {
          name: 'l',
          identity: 'x',
          leaseDurationSeconds: 1,
          renewDeadlineMs: 2000,
        }),
    ).toThrow(/renewDeadlineMs/);
  });
});
