import { FakeClock } from '@skiff/testing';
import { CgroupUsageReader } from './cgroup-usage.reader';
import { FakeCgroupTree, FakeUsage } from './fake-cgroup-tree.fixture';
import { MetricsPod, PodMetricsSampler, usageNanoCores } from './pod-metrics.sampler';

const usage = (cpuNs: number, extra: Partial<FakeUsage> = {}): FakeUsage => ({
  cpuNs,
  usageBytes: 8_192,
  inactiveFileBytes: 0,
  rssBytes: 4_096,
  ...extra,
});

function podOf(uid: string, containers: { name: string; startTime?: string }[]): MetricsPod {
  return {
    uid,
    namespace: 'ns',
    name: `pod-${uid}`,
    startTime: '2024-03-01T09:00:00.000Z',
    cgroup: `skiff/${uid}`,
    containers: containers.map((c) => ({
      name: c.name,
      startTime: c.startTime ?? '2024-03-01T09:00:01.000Z',
      cgroup: `skiff/${uid}/${c.name}`,
    })),
  };
}

describe(PodMetricsSampler.name, () => {
  let tree: FakeCgroupTree;
  let clock: FakeClock;
  let pods: MetricsPod[];
  let sampler: PodMetricsSampler;

  beforeEach(() => {
    tree = new FakeCgroupTree();
    clock = new FakeClock();
    pods = [];
    sampler = new PodMetricsSampler(new CgroupUsageReader(tree.cgroups), () => pods, clock, { resolutionMs: 15_000 });
  });
  afterEach(() => tree.dispose());

  const sampled = (uid: string) => sampler.latest().pods.find((p) => p.pod.uid === uid);
  const container = (uid: string, name: string) => sampled(uid)?.containers.find((c) => c.container.name === name);

  it('has no rate after one sample, then Δusage/Δtime between the last two', async () => {
    pods = [podOf('p1', [{ name: 'web' }])];
    tree.set('skiff/p1', usage(2_000_000_000));
    tree.set('skiff/p1/web', usage(1_000_000_000));
    await sampler.sampleOnce();
    expect(usageNanoCores(sampled('p1')!.usage)).toBeUndefined();
    expect(usageNanoCores(container('p1', 'web')!.usage)).toBeUndefined();

    clock.advance(15_000);
    tree.set('skiff/p1', usage(2_000_000_000 + 7_500_000_000));
    tree.set('skiff/p1/web', usage(1_000_000_000 + 3_000_000_000));
    await sampler.sampleOnce();
    expect(usageNanoCores(sampled('p1')!.usage)).toBe(500_000_000);
    expect(usageNanoCores(container('p1', 'web')!.usage)).toBe(200_000_000);
    expect(container('p1', 'web')!.usage.last).toMatchObject({ cpuUsageNs: 4_000_000_000, timeMs: clock.nowMs() });

    // Only the last two count.
    clock.advance(10_000);
    tree.set('skiff/p1/web', usage(4_000_000_000 + 10_000_000_000));
    await sampler.sampleOnce();
    expect(usageNanoCores(container('p1', 'web')!.usage)).toBe(1_000_000_000);
  });

  it('starts over for a new instance of a container, and when a counter goes back', async () => {
    pods = [podOf('p1', [{ name: 'web' }])];
    tree.set('skiff/p1', usage(5_000_000_000));
    tree.set('skiff/p1/web', usage(5_000_000_000));
    await sampler.sampleOnce();
    clock.advance(15_000);
    pods = [podOf('p1', [{ name: 'web', startTime: '2024-03-01T10:00:10.000Z' }])];
    tree.set('skiff/p1', usage(1_000));
    tree.set('skiff/p1/web', usage(6_000_000_000));
    await sampler.sampleOnce();
    expect(usageNanoCores(container('p1', 'web')!.usage)).toBeUndefined();
    expect(usageNanoCores(sampled('p1')!.usage)).toBeUndefined();
    clock.advance(15_000);
    tree.set('skiff/p1/web', usage(6_000_000_000 + 15_000_000_000));
    await sampler.sampleOnce();
    expect(usageNanoCores(container('p1', 'web')!.usage)).toBe(1_000_000_000);
  });

  it('leaves out cgroups that are missing or vanish, and forgets them', async () => {
    pods = [podOf('p1', [{ name: 'web' }, { name: 'side' }]), podOf('p2', [{ name: 'app' }])];
    tree.set('skiff/p1', usage(1));
    tree.set('skiff/p1/web', usage(1));
    await sampler.sampleOnce();
    expect(sampler.latest().pods.map((p) => p.pod.uid)).toEqual(['p1']);
    expect(sampled('p1')!.containers.map((c) => c.container.name)).toEqual(['web']);

    tree.remove('skiff/p1/web');
    clock.advance(15_000);
    await sampler.sampleOnce();
    expect(sampled('p1')!.containers).toEqual([]);
    // Back again (same instance): its old sample is forgotten, so no rate across the gap.
    tree.set('skiff/p1/web', usage(99));
    clock.advance(15_000);
    await sampler.sampleOnce();
    expect(container('p1', 'web')!.usage.previous).toBeUndefined();

    tree.remove('skiff/p1');
    await sampler.sampleOnce();
    expect(sampler.latest().pods).toEqual([]);
  });

  it('survives garbage in the files and pods that are no longer listed', async () => {
    pods = [podOf('p1', [{ name: 'web' }]), podOf('p2', [{ name: 'app' }])];
    tree.set('skiff/p1', usage(1));
    tree.set('skiff/p1/web', usage(1));
    tree.set('skiff/p2', usage(1));
    tree.write('memory', 'skiff/p2', 'memory.stat', 'garbage');
    await sampler.sampleOnce();
    expect(sampler.latest().pods.map((p) => p.pod.uid)).toEqual(['p1']);
    pods = [];
    clock.advance(15_000);
    await sampler.sampleOnce();
    expect(sampler.latest()).toEqual({ timeMs: clock.nowMs(), pods: [] });
    pods = [podOf('p1', [{ name: 'web' }])];
    await sampler.sampleOnce();
    expect(sampled('p1')!.usage.previous).toBeUndefined();
  });

  it('samples every resolution period once started, until stopped', async () => {
    const real = new PodMetricsSampler(new CgroupUsageReader(tree.cgroups), () => pods, new FakeClock(), {
      resolutionMs: 20,
    });
    pods = [podOf('p1', [])];
    tree.set('skiff/p1', usage(1));
    real.start();
    try {
      const deadline = Date.now() + 5_000;
      while (real.latest().pods.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(real.latest().pods.map((p) => p.pod.uid)).toEqual(['p1']);
    } finally {
      await real.stop();
    }
    pods = [];
    await new Promise((r) => setTimeout(r, 60));
    expect(real.latest().pods).toHaveLength(1);
  });
});
