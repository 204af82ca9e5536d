import { loadInfraConfig } from '@skiff/config';
import { StatsSummary } from '@skiff/kube-types';
import { SandboxHostRecord, SandboxHostRegistry } from '@skiff/messaging';
import {
  apiRequest,
  ApiResponse,
  freePort,
  startTestCluster,
  StatsSummaryAgentDouble,
  TestCluster,
} from '@skiff/testing';
import IORedis from 'ioredis';

const MI = 1024 * 1024;
const NODE = 'virtual-kubelet-zone-a';
const GV = '/apis/metrics.k8s.io/v1beta1';

interface Pod {
  metadata: { name: string; namespace: string; uid: string };
}

// metrics.k8s.io over the real API server and kubectl: discovery, kubectl top, the Table, and the Status errors.
describe('metrics.k8s.io', () => {
  let cluster: TestCluster;
  let redis: IORedis;
  const ns = 'metrics-int';
  const empty = 'metrics-empty';
  const pods = new Map<string, Pod>();
  const api = (method: string, p: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, p, body, type);
  const kubectl = (args: string[]) => cluster.kubectl(args);
  const T = new Date().toISOString();
  const container = (name: string, nanoCores: number | undefined, workingSetBytes: number) => ({
    name,
    startTime: T,
    cpu: { time: T, ...(nanoCores === undefined ? {} : { usageNanoCores: nanoCores }) },
    memory: { time: T, workingSetBytes },
  });
  const podStats = (name: string, containers: StatsSummary['pods'][number]['containers']) => {
    const { namespace, uid } = pods.get(name)!.metadata;
    return { podRef: { name, namespace, uid }, startTime: T, containers };
  };
  const agent = new StatsSummaryAgentDouble(() => ({
    node: {
      nodeName: NODE,
      cpu: { time: T, usageNanoCores: 1_234_000_000 },
      memory: { time: T, workingSetBytes: 2048 * MI },
    },
    pods: [
      podStats('web-1', [container('web', 150_000_000, 10 * MI), container('sidecar', 50_000_000, 20 * MI)]),
      podStats('web-2', [container('web', 1_000_000, 40 * MI)]),
      podStats('db-0', [container('db', undefined, 64 * MI)]), // no rate yet: no metrics
    ],
  }));
  // A host whose heartbeat stopped long ago: it must not be asked.
  const staleAgent = new StatsSummaryAgentDouble(() => ({ node: { nodeName: NODE }, pods: [] }));
  const host = (hostId: string, endpoint: string, heartbeatAt = new Date()): SandboxHostRecord => ({
    hostId,
    zone: 'zone-a',
    endpoint,
    hostIP: '10.244.0.1',
    capacity: { cpuMilli: 4000, memoryBytes: 8192 * MI, pods: 110 },
    runtimeHandlers: ['runc'],
    heartbeatAt: heartbeatAt.toISOString(),
  });

  beforeAll(async () => {
    cluster = await startTestCluster();
    for (const name of [ns, empty])
      expect((await api('POST', '/api/v1/namespaces', { metadata: { name } })).status).toBe(201);
    for (const [name, app] of [
      ['web-1', 'web'],
      ['web-2', 'web'],
      ['db-0', 'db'],
    ]) {
      const res = await api('POST', `/api/v1/namespaces/${ns}/pods`, {
        metadata: { name, labels: { app } },
        spec: { containers: [{ name: app, image: 'busybox' }] },
      });
      expect(res.status).toBe(201);
      pods.set(name, res.body as Pod);
    }
    expect((await api('POST', '/api/v1/nodes', { metadata: { name: NODE, labels: { zone: 'zone-a' } } })).status).toBe(
      201,
    );
    const allocatable = { cpu: '4', memory: '8Gi', pods: '110' };
    const status = { status: { capacity: allocatable, allocatable } };
    expect((await api('PATCH', `/api/v1/nodes/${NODE}/status`, status, 'application/merge-patch+json')).status).toBe(
      200,
    );

    redis = new IORedis(loadInfraConfig().redisUrl);
    const hosts = new SandboxHostRegistry(redis, cluster.prefix);
    await hosts.register(host('host-a', await agent.start(cluster.stateDir, 'agent-double-a')));
    // Registered but nobody listens: skipped and logged, never a failed list.
    await hosts.register(host('host-gone', `https://127.0.0.1:${await freePort()}`));
    const longAgo = new Date(Date.now() - 3600_000);
    await hosts.register(host('host-stale', await staleAgent.start(cluster.stateDir, 'agent-double-stale'), longAgo));
  }, 90_000);

  afterAll(async () => {
    await agent.stop();
    await staleAgent.stop();
    redis?.disconnect();
    await cluster?.stop();
  });

  it('is discovered: kubectl api-resources and the legacy documents', async () => {
    const out = await kubectl(['api-resources', '--api-group=metrics.k8s.io']);
    expect(out.stderr).toBe('');
    expect(out.stdout.split('\n').map((l) => l.trim().split(/\s+/))).toEqual([
      ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'],
      ['nodes', 'metrics.k8s.io/v1beta1', 'false', 'NodeMetrics'],
      ['pods', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics'],
      [''],
    ]);
    const resources = JSON.parse((await kubectl(['get', '--raw', GV])).stdout) as unknown;
    expect(resources).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'metrics.k8s.io/v1beta1',
      resources: [
        { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
        { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      ],
    });
    const group = { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' };
    const expected = { name: 'metrics.k8s.io', versions: [group], preferredVersion: group };
    expect(JSON.parse((await kubectl(['get', '--raw', '/apis/metrics.k8s.io'])).stdout)).toEqual({
      kind: 'APIGroup',
      apiVersion: 'v1',
      ...expected,
    });
    const groups = JSON.parse((await kubectl(['get', '--raw', '/apis'])).stdout) as { groups: unknown[] };
    expect(groups.groups).toContainEqual(expect.objectContaining(expected));
    // Same resource names as the core group: kubectl still means core pods and nodes.
    expect((await kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).stdout.trim().split('\n')).toEqual([
      'pod/db-0',
      'pod/web-1',
      'pod/web-2',
    ]);
    expect((await kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim()).toBe(`node/${NODE}`);
    const explain = await kubectl(['explain', 'podmetrics.containers']);
    expect(explain.stderr).toBe('');
    expect(explain.stdout).toContain('Metrics for all containers are collected within the same time window.');
  });

  it('serves kubectl top pods: one namespace, containers, label selector, sort, a single pod', async () => {
    const rows = async (args: string[]) => {
      const out = await kubectl(['top', 'pods', ...args]);
      expect(out.stderr).toBe('');
      return out.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
    };
    expect(await rows(['-n', ns])).toEqual([
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web-1', '200m', '30Mi'],
      ['web-2', '1m', '40Mi'],
    ]);
    expect(await rows(['-n', ns, '--containers'])).toEqual([
      ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web-1', 'sidecar', '50m', '20Mi'],
      ['web-1', 'web', '150m', '10Mi'],
      ['web-2', 'web', '1m', '40Mi'],
    ]);
    expect(await rows(['-A', '-l', 'app=web', '--sort-by=memory'])).toEqual([
      ['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      [ns, 'web-2', '1m', '40Mi'],
      [ns, 'web-1', '200m', '30Mi'],
    ]);
    expect(await rows(['-n', ns, '--sort-by=cpu'])).toEqual([
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web-1', '200m', '30Mi'],
      ['web-2', '1m', '40Mi'],
    ]);
    expect(await rows(['-n', ns, '--field-selector=metadata.name=web-2'])).toEqual([
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web-2', '1m', '40Mi'],
    ]);
    expect(await rows(['web-2', '-n', ns])).toEqual([
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web-2', '1m', '40Mi'],
    ]);
    expect(staleAgent.requests).toBe(0);
  });

  it('says what upstream says for a pod without metrics and an empty namespace', async () => {
    const db = await kubectl(['top', 'pod', 'db-0', '-n', ns]);
    expect([db.code, db.stderr.trim()]).toEqual([
      1,
      'Error from server (NotFound): podmetrics.metrics.k8s.io "db-0" not found',
    ]);
    const none = await kubectl(['top', 'pods', '-n', empty]);
    expect([none.code, none.stdout, none.stderr.trim()]).toEqual([0, '', `No resources found in ${empty} namespace.`]);
  });

  it('serves kubectl top node from the hosts that report the virtual node', async () => {
    const out = await kubectl(['top', 'node']);
    expect(out.stderr).toBe('');
    expect(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)),
    ).toEqual([
      ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'],
      [NODE, '1234m', '30%', '2048Mi', '25%'],
    ]);
    const missing = await kubectl(['top', 'node', 'virtual-kubelet-zone-z']);
    expect(missing.stderr.trim()).toBe(
      'Error from server (NotFound): nodemetrics.metrics.k8s.io "virtual-kubelet-zone-z" not found',
    );
  });

  it('answers kubectl get with metrics-server’s Table, and the raw list as metrics-server writes it', async () => {
    const table = await kubectl(['get', 'podmetrics', '-n', ns]);
    expect(table.stderr).toBe('');
    expect(
      table.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)),
    ).toEqual([
      ['NAME', 'CPU', 'MEMORY', 'WINDOW'],
      ['web-1', '200m', '30Mi', '15s'],
      ['web-2', '1m', '40Mi', '15s'],
    ]);
    const list = JSON.parse((await kubectl(['get', '--raw', `${GV}/pods`])).stdout) as {
      kind: string;
      metadata: unknown;
      items: { metadata: { name: string; labels: unknown }; window: string; containers: unknown[] }[];
    };
    expect([list.kind, list.metadata]).toEqual(['PodMetricsList', {}]);
    expect(list.items.map((i) => [i.metadata.name, i.metadata.labels, i.window])).toEqual([
      ['web-1', { app: 'web' }, '15s'],
      ['web-2', { app: 'web' }, '15s'],
    ]);
    expect(list.items[0].containers).toEqual([
      { name: 'web', usage: { cpu: '150000000n', memory: '10240Ki' } },
      { name: 'sidecar', usage: { cpu: '50000000n', memory: '20480Ki' } },
    ]);
  });

  it('refuses watch and writes with 405, and answers a missing object with NotFound', async () => {
    const pm = `${GV}/namespaces/${ns}/pods`;
    const watch = await api('GET', `${pm}?watch=true`);
    expect(watch.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'watch is not supported on resources of kind "pods.metrics.k8s.io"',
      reason: 'MethodNotAllowed',
      details: { group: 'metrics.k8s.io', kind: 'pods' },
      code: 405,
    });
    for (const [method, p] of [
      ['DELETE', `${pm}/web-1`],
      ['POST', pm],
      ['PATCH', `${GV}/nodes/${NODE}`],
    ]) {
      const res = await api(method, p, {}, method === 'PATCH' ? 'application/merge-patch+json' : undefined);
      expect([res.status, (res.body as { message: string }).message]).toEqual([
        405,
        'the server does not allow this method on the requested resource',
      ]);
    }
    const gone = await api('GET', `${pm}/nope`);
    expect(gone.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'podmetrics.metrics.k8s.io "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'metrics.k8s.io', kind: 'podmetrics' },
      code: 404,
    });
    const raw = await kubectl(['get', '--raw', `${pm}/nope`]);
    expect(raw.stderr.trim()).toBe('Error from server (NotFound): podmetrics.metrics.k8s.io "nope" not found');
    const unauthenticated = await kubectl(['--token=wrong', 'get', '--raw', `${GV}/pods`]);
    expect(unauthenticated.stderr.trim()).toBe('error: You must be logged in to the server (Unauthorized)');
  });
});
