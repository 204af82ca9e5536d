import { parseQuantity } from '@skiff/api-machinery';
import { SandboxHostRecord, SandboxHostRegistry, sandboxQueueName } from '@skiff/messaging';
import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { Pod } from '@skiff/kube-types';

const GiB = 1024 ** 3;

describe('scheduler: virtual nodes and placement', () => {
  let cluster: TestCluster;
  let redis: IORedis;
  const pods = '/api/v1/namespaces/default/pods';

  // What a sandbox agent writes when it registers (the agent itself is tested with real sandboxes elsewhere).
  const registerHost = (hostId: string, cpuMilli: number, memoryBytes: number, zone = 'zone-a'): Promise<void> => {
    const rec: SandboxHostRecord = {
      hostId,
      zone,
      endpoint: 'https://127.0.0.1:1',
      hostIP: '10.244.0.1',
      capacity: { cpuMilli, memoryBytes, pods: 10 },
      runtimeHandlers: ['runc', 'runsc'],
      heartbeatAt: new Date().toISOString(),
    };
    return new SandboxHostRegistry(redis, cluster.prefix).register(rec);
  };
  const getPod = async (name: string) => (await apiRequest(cluster.stack, 'GET', `${pods}/${name}`)).body as Pod;
  const createPod = (name: string, extra: Record<string, unknown> = {}) =>
    apiRequest(cluster.stack, 'POST', pods, {
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra },
    });

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await registerHost('host-a', 2000, 4 * GiB);
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it("registers a ready virtual node per zone with the hosts' capacity, a lease and the RuntimeClasses", async () => {
    const node = await eventually(
      async () => {
        const res = await apiRequest(cluster.stack, 'GET', '/api/v1/nodes/virtual-kubelet-zone-a');
        const body = res.body as {
          status?: { allocatable?: Record<string, string>; conditions?: { type: string; status: string }[] };
        };
        return res.status === 200 && body.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? body
          : undefined;
      },
      30_000,
      'a Ready virtual node',
    );
    expect(node).toMatchObject({
      metadata: {
        labels: { type: 'virtual-kubelet', 'kubernetes.io/role': 'agent', 'topology.kubernetes.io/zone': 'zone-a' },
      },
      status: { allocatable: { cpu: '2', pods: '10' } },
    });
    const nodes = await cluster.kubectl(['get', 'nodes']);
    expect(nodes.stdout).toMatch(/^virtual-kubelet-zone-a\s+Ready\s+agent\s+\S+\s+v1\.32\.0-skiff$/m);
    expect(
      (
        await apiRequest(
          cluster.stack,
          'GET',
          '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/virtual-kubelet-zone-a',
        )
      ).status,
    ).toBe(200);
    const rcs = (await cluster.kubectl(['get', 'runtimeclass', '-o', 'name'])).stdout.trim().split('\n');
    expect(rcs).toEqual(['runtimeclass.node.k8s.io/gvisor', 'runtimeclass.node.k8s.io/runc']);
  });

  it('binds a pod to the virtual node and a host, and queues its sandbox on that host', async () => {
    await createPod('web', {
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '500m', memory: '256Mi' } } }],
    });
    const pod = await eventually(
      async () => {
        const p = await getPod('web');
        return p.spec.nodeName ? p : undefined;
      },
      20_000,
      'the pod to be bound',
    );
    expect(pod.spec.nodeName).toBe('virtual-kubelet-zone-a');
    expect(pod.metadata.annotations).toMatchObject({
      'skiff.io/sandbox-host': 'host-a',
      'k8s.aliyun.com/eci-instance-spec': '0.5-0.3Gi',
    });
    expect(pod.metadata.annotations!['k8s.aliyun.com/eci-instance-id']).toMatch(/^eci-[0-9a-f]{20}$/);
    expect(pod.status?.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const events = await cluster.kubectl([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=web,reason=Scheduled',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events.stdout).toBe('Successfully assigned default/web to virtual-kubelet-zone-a');
    const queue = new Queue(sandboxQueueName(cluster.prefix, 'host-a'), { connection: redis });
    try {
      // No agent consumes this queue: the job queued at binding (no version) and the one for the bound version
      // that the informer brings both stay.
      const jobs = await eventually(
        async () => {
          const list = await queue.getJobs(['waiting', 'delayed', 'active', 'completed']);
          const mine = list
            .filter((j) => j.data.podUid === pod.metadata.uid)
            .map((j) => j.data as { resourceVersion?: string });
          const both = mine.some((j) => j.resourceVersion === undefined) && mine.some((j) => j.resourceVersion);
          return both ? mine : undefined;
        },
        10_000,
        "the binding's and the bound version's sync jobs",
      );
      const ref = { podUid: pod.metadata.uid, namespace: 'default', name: 'web' };
      const versioned = jobs.find((j) => j.resourceVersion !== undefined);
      expect(jobs).toEqual(expect.arrayContaining([ref, { ...ref, resourceVersion: expect.stringMatching(/^\d+$/) }]));
      expect(Number(versioned!.resourceVersion)).toBeLessThanOrEqual(Number(pod.metadata.resourceVersion));
    } finally {
      await queue.close();
    }
  });

  it('leaves a pod that fits nowhere Pending with FailedScheduling, and places it when room appears', async () => {
    await createPod('big', { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '3' } } }] });
    const pending = await eventually(
      async () => {
        const p = await getPod('big');
        return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
      },
      20_000,
      'PodScheduled=False',
    );
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.conditions?.[0]).toMatchObject({
      reason: 'Unschedulable',
      message: '0/1 sandbox hosts are available: 1 Insufficient cpu.',
    });
    const describe = await cluster.kubectl(['describe', 'pod', 'big']);
    expect(describe.stdout).toMatch(
      /Warning\s+FailedScheduling\s+.*0\/1 sandbox hosts are available: 1 Insufficient cpu\./,
    );

    await registerHost('host-b', 4000, 8 * GiB);
    const placed = await eventually(
      async () => {
        const p = await getPod('big');
        return p.spec.nodeName ? p : undefined;
      },
      30_000,
      'the pod to be placed once a bigger host registers',
    );
    expect(placed.metadata.annotations?.['skiff.io/sandbox-host']).toBe('host-b');
  });

  it('explains a zone selector that no virtual node satisfies', async () => {
    await createPod('elsewhere', { nodeSelector: { 'topology.kubernetes.io/zone': 'zone-z' } });
    const p = await eventually(
      async () => {
        const pod = await getPod('elsewhere');
        return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      20_000,
      'PodScheduled=False',
    );
    expect(p.message).toBe("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  });
  it('keeps a pod whose PersistentVolumeClaim is missing or unbound Pending, and places it once the claim is Bound', async () => {
    const claimVolume = { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }] };
    await createPod('db-0', claimVolume);
    const scheduledFalse = (message: string) =>
      eventually(
        async () =>
          (await getPod('db-0')).status?.conditions?.find(
            (c) => c.type === 'PodScheduled' && c.status === 'False' && c.message === message,
          )
            ? true
            : undefined,
        25_000,
        message,
      );
    await scheduledFalse('0/1 nodes are available: persistentvolumeclaim "data-db-0" not found.');
    const claims = '/api/v1/namespaces/default/persistentvolumeclaims';
    await apiRequest(cluster.stack, 'POST', claims, {
      metadata: { name: 'data-db-0' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await scheduledFalse('0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
    expect((await getPod('db-0')).spec.nodeName).toBeUndefined();
    // What the storage service will do once it exists: bind the claim.
    await apiRequest(
      cluster.stack,
      'PATCH',
      `${claims}/data-db-0/status`,
      { status: { phase: 'Bound' } },
      'application/merge-patch+json',
    );
    await eventually(async () => (await getPod('db-0')).spec.nodeName, 25_000, 'the pod bound');
    await apiRequest(cluster.stack, 'DELETE', `${pods}/db-0?gracePeriodSeconds=0`);
  }, 60_000);

  it('places a burst side by side without over-committing a host', async () => {
    const hostsOf = async () => {
      const res = await apiRequest(cluster.stack, 'GET', pods);
      return (
        res.body as { items: (Pod & { spec: { containers: { resources?: { requests?: { cpu?: string } } }[] } })[] }
      ).items;
    };
    const milli = (q?: string | number) => Math.round(parseQuantity(q ?? 0) * 1000);
    const names = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    const req = { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '400m' } } }] };
    await Promise.all(names.map((n) => createPod(n, req)));
    // Every pod is either bound or told why not.
    await eventually(
      async () => {
        const all = (await hostsOf()).filter((p) => names.includes(p.metadata.name!));
        return (
          all.length === names.length &&
          all.every(
            (p) =>
              p.spec.nodeName || p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'),
          )
        );
      },
      30_000,
      'every burst pod bound or unschedulable',
    );
    const capacity: Record<string, number> = { 'host-a': 2000, 'host-b': 4000 };
    const used: Record<string, number> = {};
    for (const p of await hostsOf()) {
      const host = p.metadata.annotations?.['skiff.io/sandbox-host'];
      if (host)
        used[host] = (used[host] ?? 0) + p.spec.containers.reduce((n, c) => n + milli(c.resources?.requests?.cpu), 0);
    }
    for (const [host, cpu] of Object.entries(used)) expect(cpu).toBeLessThanOrEqual(capacity[host]);
    const bound = (await hostsOf()).filter((p) => names.includes(p.metadata.name!) && p.spec.nodeName);
    expect(bound.length).toBeGreaterThan(0);
    expect(bound.length).toBeLessThan(names.length);
    for (const n of names) await apiRequest(cluster.stack, 'DELETE', `${pods}/${n}?gracePeriodSeconds=0`);
  });

  // Last: it stops the cluster's own scheduler.
  it('is safe with two replicas: one leads, each pod is bound once, and the other takes over when the leader stops', async () => {
    const first = cluster.stack.services.get('scheduler')!;
    const second = cluster.stack.addReplica('scheduler', { SKIFF_SCHEDULER_IDENTITY: 'scheduler-second' });
    const holder = async (): Promise<string | undefined> => {
      const res = await apiRequest(
        cluster.stack,
        'GET',
        '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/skiff-scheduler',
      );
      return (res.body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
    };
    expect(await holder()).toBe(`scheduler-${first.child.pid}`);
    const names = Array.from({ length: 12 }, (_, i) => `duo-${i}`);
    const small = {
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    };
    await Promise.all(names.map((n) => createPod(n, small)));
    for (const n of names) await eventually(async () => (await getPod(n)).spec.nodeName, 30_000, `${n} to be bound`);
    type EventList = { items: { reason: string; count?: number; involvedObject: { name: string } }[] };
    // The Scheduled event is recorded after the binding, without waiting: wait until each pod has one.
    const events = await eventually(
      async () => {
        const list = (await apiRequest(cluster.stack, 'GET', '/api/v1/namespaces/default/events')).body as EventList;
        const seen = new Set(list.items.filter((e) => e.reason === 'Scheduled').map((e) => e.involvedObject.name));
        return names.every((n) => seen.has(n)) ? list : undefined;
      },
      10_000,
      'a Scheduled event for each pod',
    );
    for (const n of names) {
      const scheduled = events.items.filter((e) => e.involvedObject.name === n && e.reason === 'Scheduled');
      expect(scheduled.map((e) => e.count ?? 1)).toEqual([1]);
    }

    // The leader stops (SIGTERM by PID) and releases the lease: the second replica leads and schedules.
    await first.stop();
    await eventually(async () => (await holder()) === 'scheduler-second', 30_000, 'the second replica to lead');
    await createPod('after-handover', small);
    const placed = await eventually(
      async () => {
        const p = await getPod('after-handover');
        return p.spec.nodeName ? p : undefined;
      },
      30_000,
      'a pod scheduled by the new leader',
    );
    expect(placed.metadata.annotations?.['skiff.io/sandbox-host']).toMatch(/^host-[ab]$/);
    expect(second.child.exitCode).toBeNull();
  }, 90_000);
});
