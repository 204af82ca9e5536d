import { ELASTIC_IPS, PODS } from '@skiff/controller-runtime';
import {
  ALLOCATED_EIP_ADDRESS_ANNOTATION,
  ALLOCATED_EIP_INSTANCE_ID_ANNOTATION,
  ECI_EIP_INSTANCE_ID_ANNOTATION,
  ECI_WITH_EIP_ANNOTATION,
  EIP_BANDWIDTH_ANNOTATION,
  Pod,
} from '@skiff/kube-types';
import { AddressPool } from '../edge/address-pool';
import { FakeCluster } from '@skiff/testing';
import { RecordingEdge } from '../edge/edge-cluster.fixture';
import { EdgeDataPlane } from '../edge/edge-data-plane';
import { EipReconciler } from './eip.reconciler';
import { EIP_POD_UID_LABEL, ElasticIP } from './elastic-ip';

const T = 'inet skiff-edge';
const natElements = (address: string, podIP: string) => [
  `eip-dnat { ${address} : ${podIP} }`,
  `eip-snat { ${podIP} : ${address} }`,
  `eip-pods { ${podIP} }`,
];

function pod(name: string, annotations: Record<string, string>, status: Pod['status'] = { phase: 'Pending' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'team', name, annotations },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    status,
  };
}

const running = (podIP: string): Pod['status'] => ({ phase: 'Running', podIP });

function elasticIp(name: string, spec: ElasticIP['spec'] = {}): ElasticIP {
  return { apiVersion: 'network.skiff.io/v1alpha1', kind: 'ElasticIP', metadata: { name }, spec };
}

describe(EipReconciler.name, () => {
  let cluster: FakeCluster;
  let edge: RecordingEdge;
  let pool: AddressPool;
  let controller: EipReconciler;

  /** A network-svc process: its own pool, data plane and controller, on the cluster as it is. */
  const start = () => {
    edge = new RecordingEdge();
    pool = new AddressPool('198.19.0.0/24');
    controller = new EipReconciler(new EdgeDataPlane(edge.network, edge.bandwidth), pool);
    controller.begin(cluster.ctx);
  };
  const reconcile = async (key: string) => {
    cluster.sync();
    const result = await controller.reconcile(cluster.ctx, key);
    cluster.sync();
    return result;
  };
  /** Reconciles what was enqueued until nothing more is, a key once while it waits (as the work queue does). */
  const settle = async (key: string) => {
    cluster.enqueued.push(key);
    for (let i = 0; cluster.enqueued.length > 0; i++) {
      if (i > 20) throw new Error('did not settle');
      const next = cluster.enqueued.shift()!;
      cluster.enqueued.splice(0, cluster.enqueued.length, ...cluster.enqueued.filter((k) => k !== next));
      await reconcile(next);
    }
  };
  // The same warning again on every pass (the EventRecorder counts repeats): each one once.
  const warnings = () => [...new Set(cluster.events.filter((e) => e.startsWith('Warning')))];
  const eip = (name: string) => cluster.get<ElasticIP>(ELASTIC_IPS, undefined, name);
  const podOf = (name: string) => cluster.get<Pod>(PODS, 'team', name)!;
  const eipNames = () => cluster.list<ElasticIP>(ELASTIC_IPS).map((e) => e.metadata.name!);
  const applied = () => edge.scripts.slice(1).join('');
  const lastLimits = () => edge.shaped[edge.shaped.length - 1];

  beforeEach(() => {
    cluster = new FakeCluster();
    start();
  });

  it('gives an eci-with-eip pod its own EIP, bound to the pod once it has an address', async () => {
    cluster.put(PODS, pod('app', { [ECI_WITH_EIP_ANNOTATION]: 'true' }));
    await settle('pod:team/app');
    const [name] = eipNames();
    expect(name).toMatch(/^eip-[0-9a-f]{21}$/);
    expect(eip(name)?.metadata.labels).toEqual({ [EIP_POD_UID_LABEL]: 'uid-app' });
    expect(eip(name)?.spec).toEqual({ bandwidth: 5 });
    expect(eip(name)?.status).toEqual({ address: '198.19.0.1', phase: 'Available' });
    expect(applied()).toBe('');

    cluster.put(PODS, { ...podOf('app'), status: running('10.244.2.7') });
    await settle('pod:team/app');
    for (const e of natElements('198.19.0.1', '10.244.2.7')) expect(applied()).toContain(`add element ${T} ${e}`);
    expect(lastLimits()).toEqual([{ address: '198.19.0.1', podIp: '10.244.2.7', mbit: 5 }]);
    expect(eip(name)?.status).toEqual({ address: '198.19.0.1', phase: 'InUse', pod: 'team/app', podIP: '10.244.2.7' });
    expect(podOf('app').metadata.annotations).toMatchObject({
      [ALLOCATED_EIP_ADDRESS_ANNOTATION]: '198.19.0.1',
      [ALLOCATED_EIP_INSTANCE_ID_ANNOTATION]: name,
    });
    expect(cluster.events).toEqual([`Normal EipBound app: ElasticIP ${name} (198.19.0.1) bound to the pod`]);

    // Again: nothing to do.
    const [writes, scripts] = [cluster.writes.length, edge.scripts.length];
    await settle('pod:team/app');
    await settle(name);
    expect([cluster.writes.length, edge.scripts.length]).toEqual([writes, scripts]);
  });

  it('gives its own EIP the bandwidth of eip-bandwidth, and the default for a bad value', async () => {
    cluster.put(PODS, pod('fast', { [ECI_WITH_EIP_ANNOTATION]: 'true', [EIP_BANDWIDTH_ANNOTATION]: '20' }));
    cluster.put(PODS, pod('odd', { [ECI_WITH_EIP_ANNOTATION]: 'true', [EIP_BANDWIDTH_ANNOTATION]: '2.5' }));
    await settle('pod:team/fast');
    await settle('pod:team/odd');
    expect(cluster.list<ElasticIP>(ELASTIC_IPS).map((e) => e.spec?.bandwidth)).toEqual([20, 5]);
    cluster.put(PODS, { ...podOf('fast'), status: running('10.244.2.8') });
    await settle('pod:team/fast');
    expect(lastLimits()).toEqual([{ address: '198.19.0.1', podIp: '10.244.2.8', mbit: 20 }]);
  });

  it("deletes a pod's own EIP when the pod is done, and frees its address and rules", async () => {
    cluster.put(PODS, pod('job', { [ECI_WITH_EIP_ANNOTATION]: 'true' }, running('10.244.2.7')));
    await settle('pod:team/job');
    const [name] = eipNames();
    cluster.put(PODS, { ...podOf('job'), status: { phase: 'Succeeded', podIP: '10.244.2.7' } });
    await settle('pod:team/job');
    for (const e of natElements('198.19.0.1', '10.244.2.7')) expect(applied()).toContain(`delete element ${T} ${e}`);
    expect(lastLimits()).toEqual([]);
    expect(eipNames()).toEqual([]);
    expect(cluster.writes).toContain(`delete ${name}`);
    expect(pool.addressOf(name)).toBeUndefined();
  });

  it('binds an existing EIP by instance id, at its own address, and makes it Available again after the pod', async () => {
    cluster.put(ELASTIC_IPS, elasticIp('eip-keep', { address: '198.19.0.50', bandwidth: 8 }));
    await settle('eip-keep');
    expect(eip('eip-keep')?.status).toEqual({ address: '198.19.0.50', phase: 'Available' });

    cluster.put(PODS, pod('app', { [ECI_EIP_INSTANCE_ID_ANNOTATION]: 'eip-keep' }, running('10.244.2.7')));
    await settle('pod:team/app');
    expect(eip('eip-keep')?.status).toMatchObject({ phase: 'InUse', pod: 'team/app' });
    expect(lastLimits()).toEqual([{ address: '198.19.0.50', podIp: '10.244.2.7', mbit: 8 }]);

    cluster.remove(PODS, 'team', 'app');
    await settle('pod:team/app');
    expect(eip('eip-keep')?.status).toEqual({ address: '198.19.0.50', phase: 'Available' });
    expect(applied()).toContain(`delete element ${T} eip-dnat { 198.19.0.50 : 10.244.2.7 }`);
    expect(pool.addressOf('eip-keep')).toBe('198.19.0.50');
    expect(cluster.events).toEqual(['Normal EipBound app: ElasticIP eip-keep (198.19.0.50) bound to the pod']);
  });

  it('reports an EIP that does not exist, and one bound to another live pod until that pod is done', async () => {
    cluster.put(PODS, pod('lost', { [ECI_EIP_INSTANCE_ID_ANNOTATION]: 'eip-missing' }, running('10.244.2.6')));
    expect(await reconcile('pod:team/lost')).toEqual({ requeueAfterMs: 5_000 });

    cluster.put(ELASTIC_IPS, elasticIp('eip-shared'));
    cluster.put(PODS, pod('a', { [ECI_EIP_INSTANCE_ID_ANNOTATION]: 'eip-shared' }, running('10.244.2.7')));
    cluster.put(PODS, pod('b', { [ECI_EIP_INSTANCE_ID_ANNOTATION]: 'eip-shared' }, running('10.244.2.8')));
    await settle('pod:team/a');
    expect(await reconcile('pod:team/b')).toEqual({ requeueAfterMs: 5_000 });
    expect(warnings()).toEqual([
      'Warning EipNotFound lost: ElasticIP eip-missing does not exist',
      'Warning EipInUse b: ElasticIP eip-shared is bound to pod team/a',
    ]);

    cluster.put(PODS, {
      ...podOf('a'),
      metadata: { ...podOf('a').metadata, deletionTimestamp: '2024-03-01T10:00:00Z' },
    });
    await settle('pod:team/a');
    await settle('pod:team/b');
    expect(eip('eip-shared')?.status).toEqual({
      address: '198.19.0.1',
      phase: 'InUse',
      pod: 'team/b',
      podIP: '10.244.2.8',
    });
    expect(applied()).toContain(`add element ${T} eip-dnat { 198.19.0.1 : 10.244.2.8 }`);
  });

  it('marks an EIP Failed when its address cannot be had', async () => {
    cluster.put(ELASTIC_IPS, elasticIp('eip-bad', { address: '10.0.0.1' }));
    await settle('eip-bad');
    const message = '10.0.0.1 is not an assignable address of 198.19.0.0/24';
    expect(eip('eip-bad')?.status).toEqual({ phase: 'Failed', message });
    expect(warnings()).toEqual([`Warning AllocationFailed eip-bad: ${message}`]);
  });

  it('frees an EIP whose pod went away while nobody watched', async () => {
    const gone = { address: '198.19.0.3', phase: 'InUse' as const, pod: 'team/gone', podIP: '10.244.2.9' };
    cluster.put(ELASTIC_IPS, { ...elasticIp('eip-user'), status: gone });
    cluster.put(ELASTIC_IPS, {
      ...elasticIp('eip-own'),
      metadata: { name: 'eip-own', labels: { [EIP_POD_UID_LABEL]: 'uid-gone' } },
      status: { ...gone, address: '198.19.0.4' },
    });
    await settle('eip-user');
    await settle('eip-own');
    expect(eip('eip-user')?.status).toEqual({ address: '198.19.0.3', phase: 'Available' });
    expect(eip('eip-own')).toBeUndefined();
    expect(pool.addressOf('eip-own')).toBeUndefined();
  });

  it('rewrites the whole table in a new process from the EIPs in use, keeping their addresses', async () => {
    cluster.put(PODS, pod('app', { [ECI_WITH_EIP_ANNOTATION]: 'true' }, running('10.244.2.7')));
    await settle('pod:team/app');
    const [name] = eipNames();

    cluster.newTerm();
    start();
    cluster.put(ELASTIC_IPS, elasticIp('eip-new'));
    await settle('eip-new');
    for (const e of natElements('198.19.0.1', '10.244.2.7')) expect(edge.scripts[0]).toContain(`add element ${T} ${e}`);
    expect(edge.shaped[0]).toEqual([{ address: '198.19.0.1', podIp: '10.244.2.7', mbit: 5 }]);
    expect(pool.addressOf(name)).toBe('198.19.0.1');
    expect(eip('eip-new')?.status?.address).toBe('198.19.0.2');
  });

  it("deletes a pod's own EIP when the pod goes before it ever had an address", async () => {
    cluster.put(PODS, pod('doomed', { [ECI_WITH_EIP_ANNOTATION]: 'true' }));
    await settle('pod:team/doomed');
    expect(eipNames()).toHaveLength(1);
    cluster.remove(PODS, 'team', 'doomed');
    await settle('pod:team/doomed');
    expect(eipNames()).toEqual([]);
    expect(pool.owners('')).toEqual([]);
  });
});
