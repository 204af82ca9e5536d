import { IpAllocationRequest } from '@skiff/messaging';
import { FakeClock } from '@skiff/testing';
import { VSwitchRange } from './cidr';
import { EniAllocationConflict } from './eni-allocation.repository';
import { EniAllocator } from './eni-allocator.service';
import { InMemoryEniAllocationRepository } from './in-memory-eni-allocation.repository';
import { IpamException } from './ipam.exception';

function pod(n: number | string): IpAllocationRequest {
  return { podUid: `uid-${n}`, namespace: 'default', name: `pod-${n}`, hostId: 'host-a' };
}

describe(EniAllocator.name, () => {
  let repo: InMemoryEniAllocationRepository;
  let clock: FakeClock;
  const build = (cidr: string): EniAllocator => new EniAllocator(repo, new VSwitchRange(cidr), clock);

  beforeEach(() => {
    repo = new InMemoryEniAllocationRepository();
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('hands out addresses after the gateway, with the VSwitch prefix and gateway', async () => {
    const a = await build('10.244.0.0/16').allocate(pod(1));
    expect(a).toEqual({
      podUid: 'uid-1',
      ip: '10.244.0.2',
      prefixLength: 16,
      gateway: '10.244.0.1',
      cidr: '10.244.0.0/16',
    });
  });

  it('answers the same address when the same pod asks again', async () => {
    const allocator = build('10.244.0.0/16');
    const first = await allocator.allocate(pod(1));
    await allocator.allocate(pod(2));
    expect(await allocator.allocate(pod(1))).toEqual(first);
    expect(repo.rows.size).toBe(2);
  });

  it('gives one address to concurrent requests of the same pod', async () => {
    const allocator = build('10.244.0.0/16');
    const answers = await Promise.all([1, 1, 1, 1].map((n) => allocator.allocate(pod(n))));
    expect(new Set(answers.map((a) => a.ip)).size).toBe(1);
    expect(repo.rows.size).toBe(1);
  });

  it('rotates through the range instead of reusing a just-released address', async () => {
    const allocator = build('192.168.8.0/29'); // assignable: .2 .. .6
    const a = await allocator.allocate(pod(1));
    await allocator.allocate(pod(2));
    expect(await allocator.release({ podUid: 'uid-1' })).toEqual({ released: true });
    const c = await allocator.allocate(pod(3));
    expect(a.ip).toBe('192.168.8.2');
    expect(c.ip).toBe('192.168.8.4');
    // .5 and .6, then wrap around to the freed .2.
    expect((await allocator.allocate(pod(4))).ip).toBe('192.168.8.5');
    expect((await allocator.allocate(pod(5))).ip).toBe('192.168.8.6');
    expect((await allocator.allocate(pod(6))).ip).toBe('192.168.8.2');
  });

  it('fills a /29 with its five assignable addresses, then says it is exhausted', async () => {
    const allocator = build('192.168.8.0/29');
    const ips = [];
    for (let i = 0; i < 5; i++) ips.push((await allocator.allocate(pod(i))).ip);
    expect(ips.sort()).toEqual(['192.168.8.2', '192.168.8.3', '192.168.8.4', '192.168.8.5', '192.168.8.6']);
    await expect(allocator.allocate(pod('late'))).rejects.toEqual(
      new IpamException('exhausted', 'no free address in 192.168.8.0/29'),
    );
    // A pod that already holds one still gets it on a full range.
    expect((await allocator.allocate(pod(3))).ip).toBe(ips.find((ip) => repo.rows.get(ip)?.podUid === 'uid-3'));
    await allocator.release({ podUid: 'uid-3' });
    expect((await allocator.allocate(pod('late'))).podUid).toBe('uid-late');
  });

  it('never hands out the network, gateway or broadcast address under concurrency', async () => {
    const range = new VSwitchRange('10.1.2.0/28');
    const allocator = new EniAllocator(repo, range, clock);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => allocator.allocate(pod(i))));
    const ips = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.ip] : []));
    expect(ips).toHaveLength(13);
    expect(new Set(ips).size).toBe(13);
    expect(ips.every((ip) => range.isAssignable(ip))).toBe(true);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(7);
  });

  it('answers released:false for a pod that holds nothing', async () => {
    expect(await build('10.244.0.0/16').release({ podUid: 'nobody' })).toEqual({ released: false });
  });

  it('retries a transaction that lost a race, and rides out a short database outage', async () => {
    const allocator = build('10.244.0.0/16');
    repo.failures = [
      new EniAllocationConflict('unique'),
      new IpamException('unavailable', 'database unavailable: ECONNREFUSED'),
    ];
    const a = await allocator.allocate(pod(1));
    expect(a.ip).toBe('10.244.0.2');
    expect(clock.slept).toEqual([200]);
  });

  it('gives up on a long outage with an unavailable error', async () => {
    const allocator = build('10.244.0.0/16');
    repo.failures = Array.from(
      { length: 10 },
      () => new IpamException('unavailable', 'database unavailable: ECONNREFUSED'),
    );
    await expect(allocator.allocate(pod(1))).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('moves a pod whose address lies outside a reconfigured VSwitch', async () => {
    await build('10.244.0.0/16').allocate(pod(1));
    const moved = await build('10.250.0.0/24').allocate(pod(1));
    expect(moved.ip).toBe('10.250.0.2');
    expect(repo.rows.size).toBe(1);
  });
});
