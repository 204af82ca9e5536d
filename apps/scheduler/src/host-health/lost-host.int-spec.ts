import { HOST_STALE_AFTER_MS, sandboxHostsKey, SandboxHostRecord } from '@skiff/messaging';
import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import IORedis from 'ioredis';
import { LostHostReconciler } from './lost-host.reconciler';
import type { Node, Pod } from '@skiff/kube-types';

const GiB = 1024 ** 3;
const NODE = 'virtual-kubelet-zone-a';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

// The scheduler reads host records that agents write to Redis; here the test plays the agents.
describe(LostHostReconciler.name, () => {
  let cluster: TestCluster;
  let redis: IORedis;
  const ns = `lost-${Date.now().toString(36)}`;
  const pods = `/api/v1/namespaces/${ns}/pods`;
  // Hosts whose "agent" is alive: their heartbeat is refreshed like an agent's (every 5 s there, 1 s here).
  const alive = new Set<string>();
  let heartbeats: NodeJS.Timeout | undefined;

  const writeHost = (hostId: string, heartbeatAt: Date): Promise<number> => {
    const rec: SandboxHostRecord = {
      hostId,
      zone: 'zone-a',
      endpoint: 'https://127.0.0.1:1',
      hostIP: '10.244.0.1',
      capacity: { cpuMilli: 2000, memoryBytes: 4 * GiB, pods: 10 },
      runtimeHandlers: ['runc', 'runsc'],
      heartbeatAt: heartbeatAt.toISOString(),
    };
    return redis.hset(sandboxHostsKey(cluster.prefix), hostId, JSON.stringify(rec));
  };
  const startHeartbeat = async (hostId: string): Promise<void> => {
    alive.add(hostId);
    await writeHost(hostId, new Date());
  };
  // A host that went silent `agoMs` ago: its record stays as the agent last wrote it.
  const stopHeartbeat = async (hostId: string, agoMs: number): Promise<void> => {
    alive.delete(hostId);
    await writeHost(hostId, new Date(Date.now() - agoMs));
  };

  const getPod = async (name: string): Promise<Pod> =>
    (await apiRequest(cluster.stack, 'GET', `${pods}/${name}`)).body as Pod;
  const condition = (conditions: Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type);
  const nodeReady = async (): Promise<Condition | undefined> =>
    condition(
      ((await apiRequest(cluster.stack, 'GET', `/api/v1/nodes/${NODE}`)).body as Node).status?.conditions,
      'Ready',
    );
  const boundPod = async (name: string): Promise<Pod> => {
    const res = await apiRequest(cluster.stack, 'POST', pods, {
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect(res.status).toBe(201);
    return eventually(
      async () => {
        const p = await getPod(name);
        return p.spec.nodeName ? p : undefined;
      },
      30_000,
      `${name} to be bound`,
    );
  };

  beforeAll(async () => {
    cluster = await startTestCluster({ SKIFF_HOST_LOST_GRACE_SECONDS: '5' }, ['api-gateway', 'scheduler']);
    redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    heartbeats = setInterval(() => {
      for (const h of alive) void writeHost(h, new Date());
    }, 1_000);
    expect((await apiRequest(cluster.stack, 'POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
      201,
    );
    // Pods wait for the namespace's default ServiceAccount, which the scheduler's controller makes.
    await eventually(
      async () =>
        (await apiRequest(cluster.stack, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200,
      30_000,
      'the default ServiceAccount',
    );
    await startHeartbeat('host-a');
  }, 120_000);

  afterAll(async () => {
    clearInterval(heartbeats);
    if (cluster) await apiRequest(cluster.stack, 'DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    redis?.disconnect();
    await cluster?.stop();
  });

  it('turns the pods of a host that stopped heartbeating NotReady (NodeLost), then Failed (NodeLost) with an event', async () => {
    const pod = await boundPod('lonely');
    expect(pod.metadata.annotations?.['skiff.io/sandbox-host']).toBe('host-a');
    // What host-a's agent would report for a running pod.
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const running = { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now };
    const patched = await apiRequest(
      cluster.stack,
      'PATCH',
      `${pods}/lonely/status`,
      {
        status: {
          phase: 'Running',
          startTime: now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            running,
            { ...running, type: 'ContainersReady' },
          ],
        },
      },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);

    // Hold the host just past the stale mark (inside the 5 s grace) until the scheduler has seen it, so the
    // not-ready step is observed before the grace can run out.
    let holding = true;
    const hold = (async () => {
      while (holding) {
        await stopHeartbeat('host-a', HOST_STALE_AFTER_MS + 1_000);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    let notReady: Pod;
    try {
      notReady = await eventually(
        async () => {
          const p = await getPod('lonely');
          return condition(p.status?.conditions, 'Ready')?.reason === 'NodeLost' ? p : undefined;
        },
        60_000,
        'Ready=False NodeLost',
      );
    } finally {
      holding = false;
      await hold;
    }
    expect(notReady.status?.phase).toBe('Running');
    for (const type of ['Ready', 'ContainersReady']) {
      expect(condition(notReady.status?.conditions, type)).toMatchObject({
        status: 'False',
        reason: 'NodeLost',
        message: 'Sandbox host host-a stopped reporting',
      });
    }
    expect(condition(notReady.status?.conditions, 'PodScheduled')).toMatchObject({ status: 'True' });

    // The host never comes back: its record stays as it was last written.
    const failed = await eventually(
      async () => {
        const p = await getPod('lonely');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      60_000,
      'phase Failed after the grace period',
    );
    expect(failed.status).toMatchObject({
      reason: 'NodeLost',
      message: 'Sandbox host host-a which was running the pod is unresponsive',
    });
    expect(condition(failed.status?.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'NodeLost' });
    const get = await cluster.kubectl(['get', 'pod', 'lonely', '-n', ns]);
    expect(get.stdout).toMatch(/^lonely\s+0\/1\s+NodeLost\s+0\s+/m);
    const events = await eventually(
      async () => {
        const r = await cluster.kubectl([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.name=lonely,reason=NodeLost',
          '-o',
          'jsonpath={.items[*].type} {.items[*].message}',
        ]);
        return r.stdout.trim() ? r.stdout : undefined;
      },
      20_000,
      'a NodeLost event',
    );
    expect(events).toBe('Warning Sandbox host host-a which was running the pod is unresponsive');
  }, 180_000);

  it('shows the virtual node NotReady while its only host is stale, and Ready again when a fresh host registers', async () => {
    const down = await eventually(
      async () => {
        const c = await nodeReady();
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
      'the virtual node to go NotReady',
    );
    expect(down).toMatchObject({ reason: 'NoSandboxHosts', message: 'no live sandbox host in this zone' });
    expect((await cluster.kubectl(['get', 'nodes'])).stdout).toMatch(/^virtual-kubelet-zone-a\s+NotReady\s+/m);

    await startHeartbeat('host-b');
    const up = await eventually(
      async () => {
        const c = await nodeReady();
        return c?.status === 'True' ? c : undefined;
      },
      30_000,
      'the virtual node to be Ready again',
    );
    expect(up).toMatchObject({ reason: 'KubeletReady', message: '1 sandbox host(s) ready' });
    expect((await cluster.kubectl(['get', 'nodes'])).stdout).toMatch(/^virtual-kubelet-zone-a\s+Ready\s+/m);
    // New pods go to the live host, never to the lost one.
    expect((await boundPod('newcomer')).metadata.annotations?.['skiff.io/sandbox-host']).toBe('host-b');
  }, 120_000);
});
