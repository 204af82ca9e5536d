import { FakeClock } from '@skiff/testing';
import type { Service } from '@skiff/kube-types';
import { ClusterIpAllocator } from './cluster-ip-allocator.service';
import { ClusterIpException } from './cluster-ip.exception';
import { ClusterIpRepairReconciler } from './cluster-ip-repair.reconciler';
import { InMemoryClusterIpRepository } from './in-memory-cluster-ip.repository.fixture';
import { ServiceCidr } from './service-cidr';

const ask = (serviceUid: string, ip?: string, dryRun = false) => ({
  serviceUid,
  namespace: 'default',
  name: `svc-${serviceUid}`,
  ...(ip ? { ip } : {}),
  ...(dryRun ? { dryRun } : {}),
});

describe('ClusterIP allocation', () => {
  let repo: InMemoryClusterIpRepository;
  let clock: FakeClock;
  let allocator: ClusterIpAllocator;

  beforeEach(() => {
    repo = new InMemoryClusterIpRepository();
    clock = new FakeClock();
    allocator = new ClusterIpAllocator(repo, new ServiceCidr('10.96.0.0/28'), clock);
  });

  it('picks from above the static band first, then the static band, then says the range is full', async () => {
    // A /24 keeps its first 16 addresses for asking by value; a /28 (14 usable) has no static band.
    const wide = new ClusterIpAllocator(repo, new ServiceCidr('10.96.0.0/24'), clock);
    const ip = (await wide.allocate(ask('a'))).ip;
    expect(Number(ip.split('.')[3])).toBeGreaterThanOrEqual(16);
    // A /27: 30 usable, 1–15 static. The first 15 random picks are all dynamic, the rest fill the static band.
    const small = new ClusterIpAllocator(new InMemoryClusterIpRepository(), new ServiceCidr('10.96.0.32/27'), clock);
    const lastOctets: number[] = [];
    for (let i = 0; i < 30; i++) lastOctets.push(Number((await small.allocate(ask(`s${i}`))).ip.split('.')[3]) - 32);
    expect(lastOctets.slice(0, 15).every((o) => o >= 16)).toBe(true);
    expect(new Set(lastOctets).size).toBe(30);
    await expect(small.allocate(ask('one-more'))).rejects.toThrow('failed to allocate a serviceIP: range is full');
  });

  it('answers a Service asking again with the address it holds', async () => {
    const first = await allocator.allocate(ask('a'));
    expect(await allocator.allocate(ask('a'))).toEqual(first);
    expect(repo.rows.size).toBe(1);
  });

  it('honours an address asked for and refuses a taken, foreign, network or broadcast one', async () => {
    expect((await allocator.allocate(ask('a', '10.96.0.5'))).ip).toBe('10.96.0.5');
    const taken = allocator.allocate(ask('b', '10.96.0.5'));
    await expect(taken).rejects.toBeInstanceOf(ClusterIpException);
    await expect(allocator.allocate(ask('b', '10.96.0.5'))).rejects.toThrow('provided IP is already allocated');
    for (const ip of ['10.97.0.1', '10.96.0.0', '10.96.0.15'])
      await expect(allocator.allocate(ask('c', ip))).rejects.toThrow(
        `the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/28`,
      );
  });

  it('holds nothing on a dry run, and gives an address back on release', async () => {
    expect((await allocator.allocate(ask('a', '10.96.0.7', true))).ip).toBe('10.96.0.7');
    expect(repo.rows.size).toBe(0);
    await allocator.allocate(ask('a', '10.96.0.7'));
    expect(await allocator.release({ serviceUid: 'a' })).toEqual({ released: true });
    expect((await allocator.allocate(ask('b', '10.96.0.7'))).ip).toBe('10.96.0.7');
  });
});

describe(ClusterIpRepairReconciler.name, () => {
  const svc = (uid: string, clusterIP: string): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${uid}`, namespace: 'default', uid },
    spec: { clusterIP },
  });

  it('frees addresses of gone Services once past the grace, and records addresses held without a row', async () => {
    const repo = new InMemoryClusterIpRepository();
    const clock = new FakeClock();
    const repair = new ClusterIpRepairReconciler(repo, new ServiceCidr('10.96.0.0/16'), clock);
    await repo.insert({ ip: '10.96.1.1', serviceUid: 'gone', namespace: 'default', name: 'x' }, clock.now());
    await repo.insert({ ip: '10.96.1.2', serviceUid: 'kept', namespace: 'default', name: 'y' }, clock.now());
    const services = [svc('kept', '10.96.1.2'), svc('unrecorded', '10.96.1.3'), svc('headless', 'None')];

    await repair.repair(services);
    expect([...repo.rows.keys()].sort()).toEqual(['10.96.1.1', '10.96.1.2', '10.96.1.3']);

    clock.advance(61_000);
    await repair.repair(services);
    expect([...repo.rows.keys()].sort()).toEqual(['10.96.1.2', '10.96.1.3']);
  });
});
