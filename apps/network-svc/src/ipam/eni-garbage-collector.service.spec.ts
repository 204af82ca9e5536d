import { FakeClock } from '@skiff/testing';
import { VSwitchRange } from './cidr';
import { EniAllocator } from './eni-allocator.service';
import { EniGarbageCollector } from './eni-garbage-collector.service';
import { InMemoryEniAllocationRepository } from './in-memory-eni-allocation.repository';
import { PodLookup } from './pod-lookup';

class FakePodLookup extends PodLookup {
  /** uid → namespace/name of pods the API has. */
  live = new Map<string, string>();
  unreachable = false;
  async exists(namespace: string, name: string, uid: string): Promise<boolean> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    return this.live.get(uid) === `${namespace}/${name}`;
  }
}

describe(EniGarbageCollector.name, () => {
  let repo: InMemoryEniAllocationRepository;
  let clock: FakeClock;
  let pods: FakePodLookup;
  let allocator: EniAllocator;
  let gc: EniGarbageCollector;

  const allocate = (uid: string): Promise<unknown> =>
    allocator.allocate({ podUid: uid, namespace: 'ns', name: `pod-${uid}`, hostId: 'h' });

  beforeEach(() => {
    repo = new InMemoryEniAllocationRepository();
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    pods = new FakePodLookup();
    allocator = new EniAllocator(repo, new VSwitchRange('10.244.0.0/24'), clock);
    gc = new EniGarbageCollector(repo, pods, clock, { gcGraceSeconds: 300, gcIntervalSeconds: 0 });
  });

  it('releases addresses of gone pods once the grace period has passed', async () => {
    await allocate('live');
    await allocate('gone');
    pods.live.set('live', 'ns/pod-live');
    expect(await gc.sweepOnce()).toEqual({ checked: 0, released: 0, unknown: 0 });
    clock.advance(301_000);
    expect(await gc.sweepOnce()).toEqual({ checked: 2, released: 1, unknown: 0 });
    expect([...repo.rows.values()].map((r) => r.podUid)).toEqual(['live']);
  });

  it('treats a pod of the same name with another uid as gone', async () => {
    await allocate('old');
    pods.live.set('new', 'ns/pod-old');
    clock.advance(301_000);
    expect((await gc.sweepOnce()).released).toBe(1);
  });

  it('keeps everything when the API cannot be asked', async () => {
    await allocate('a');
    pods.unreachable = true;
    clock.advance(301_000);
    expect(await gc.sweepOnce()).toEqual({ checked: 1, released: 0, unknown: 1 });
    expect(repo.rows.size).toBe(1);
  });

  it('pages through more allocations than one page', async () => {
    for (let i = 0; i < 250; i++) await allocate(`p${i}`);
    for (let i = 0; i < 250; i += 2) pods.live.set(`p${i}`, `ns/pod-p${i}`);
    clock.advance(301_000);
    expect(await gc.sweepOnce()).toEqual({ checked: 250, released: 125, unknown: 0 });
  });
});
