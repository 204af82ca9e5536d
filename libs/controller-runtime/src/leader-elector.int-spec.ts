import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { KubeClient } from '@skiff/kube-client';
import { LeaderElector, Lease } from './leader-elector';

describe(LeaderElector.name, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const leases = () =>
    client.resource<Lease>({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true });

  beforeAll(async () => {
    cluster = await startTestCluster();
    client = new KubeClient(cluster.stack);
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  // Short periods so the test runs in seconds; the ratios are client-go's defaults.
  const timing = { leaseDurationSeconds: 3, renewDeadlineMs: 2000, retryPeriodMs: 400 };

  function contender(name: string, identity: string, releaseOnStop = true) {
    const elector = new LeaderElector(client, {
      name,
      identity,
      ...timing,
      releaseOnStop,
      logger: { warn: () => undefined },
    });
    const log: string[] = [];
    const running = elector.run({
      onStartedLeading: () => void log.push('started'),
      onStoppedLeading: () => void log.push('stopped'),
    });
    return { elector, log, running, identity };
  }

  it('lets one of two replicas lead and hands over within the lease duration when it stops', async () => {
    const a = contender('skiff-test', 'replica-a');
    const b = contender('skiff-test', 'replica-b');
    try {
      const leader = await eventually(async () => [a, b].find((c) => c.elector.isLeader()), 10_000, 'a leader');
      const follower = leader === a ? b : a;
      // Over a few renew periods, never both.
      for (let i = 0; i < 30; i++) {
        expect([a, b].filter((c) => c.elector.isLeader())).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 50));
      }
      const lease = await leases().get('kube-system', 'skiff-test');
      expect(lease.spec).toMatchObject({
        holderIdentity: leader.identity,
        leaseDurationSeconds: 3,
        leaseTransitions: 0,
      });
      expect(lease.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

      await leader.elector.stop();
      await leader.running;
      expect(leader.log).toEqual(['started', 'stopped']);
      await eventually(
        async () => follower.elector.isLeader(),
        timing.leaseDurationSeconds * 1000,
        'the follower to take over',
      );
      const after = await leases().get('kube-system', 'skiff-test');
      expect(after.spec).toMatchObject({ holderIdentity: follower.identity, leaseTransitions: 1 });
      expect(leader.elector.isLeader()).toBe(false);
    } finally {
      await Promise.all([a.elector.stop(), b.elector.stop()]);
    }
  });

  it('takes over a lease whose holder vanished without releasing, once it expires', async () => {
    const crashed = contender('skiff-crash', 'replica-c', false);
    await eventually(async () => crashed.elector.isLeader(), 10_000, 'the first leader');
    const successor = contender('skiff-crash', 'replica-d');
    try {
      await crashed.elector.stop(); // as if the process died: the lease stays held until it expires
      expect((await leases().get('kube-system', 'skiff-crash')).spec!.holderIdentity).toBe('replica-c');
      await eventually(
        async () => successor.elector.isLeader(),
        (timing.leaseDurationSeconds + 2) * 1000,
        'the successor to take over',
      );
      expect((await leases().get('kube-system', 'skiff-crash')).spec).toMatchObject({
        holderIdentity: 'replica-d',
        leaseTransitions: 1,
      });
    } finally {
      await successor.elector.stop();
    }
    // Released on a clean stop.
    expect((await leases().get('kube-system', 'skiff-crash')).spec!.holderIdentity).toBeUndefined();
  });
});
