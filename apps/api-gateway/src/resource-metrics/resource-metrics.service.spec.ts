import { ApiError, KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES, ResourceType } from '@skiff/api-server';
import { StatsSummary } from '@skiff/kube-types';
import { apiRefusal, FakeClock } from '@skiff/testing';
import { listOptionsOf } from '../kube-api/list-options';
import { ListQuery, ObjectStoreRepository } from '../storage/object-store.repository';
import { ResourceMetricsService, SUMMARY_TTL_MS } from './resource-metrics.service';
import { StatsSummarySource } from './stats-summary.source';

const POD_METRICS = BUILT_IN_RESOURCES.find((t) => t.group === 'metrics.k8s.io' && t.kind === 'PodMetrics')!;
const NODE_METRICS = BUILT_IN_RESOURCES.find((t) => t.group === 'metrics.k8s.io' && t.kind === 'NodeMetrics')!;
const T = '2026-03-01T10:00:00Z';

// The pods and nodes of the API, as the object store returns them (sorted, filtered by namespace and name).
class FakeObjects {
  readonly objects: KubeObject[] = [];
  async get(key: { resource: string; namespace: string; name: string }): Promise<KubeObject | undefined> {
    return this.objects.find(
      (o) =>
        o.kind === (key.resource === 'pods' ? 'Pod' : 'Node') &&
        (o.metadata.namespace ?? '') === key.namespace &&
        o.metadata.name === key.name,
    );
  }
  async list(q: ListQuery): Promise<{ items: KubeObject[]; resourceVersion: number; more: boolean }> {
    const items = this.objects.filter(
      (o) =>
        o.kind === (q.resource === 'pods' ? 'Pod' : 'Node') &&
        (q.namespace === undefined || (o.metadata.namespace ?? '') === q.namespace) &&
        (q.name === undefined || o.metadata.name === q.name),
    );
    return { items, resourceVersion: 1, more: false };
  }
}

class FakeSource extends StatsSummarySource {
  summaries: StatsSummary[] = [];
  calls = 0;
  failure?: Error;
  async collect(): Promise<StatsSummary[]> {
    this.calls++;
    if (this.failure) throw this.failure;
    return this.summaries;
  }
}

function pod(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid: `${namespace}-${name}`, labels } };
}

function sampled(p: KubeObject, nanoCores = 1000): StatsSummary['pods'][number] {
  const { namespace = '', name = '', uid = '' } = p.metadata;
  return {
    podRef: { namespace, name, uid },
    startTime: T,
    containers: [
      {
        name: 'c',
        startTime: T,
        cpu: { time: T, usageNanoCores: nanoCores },
        memory: { time: T, workingSetBytes: 4096 },
      },
    ],
  };
}

describe(ResourceMetricsService.name, () => {
  let objects: FakeObjects;
  let source: FakeSource;
  let clock: FakeClock;
  let service: ResourceMetricsService;
  const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  const list = async (type: ResourceType, namespace: string, query = '') =>
    names(await service.list(type, namespace, listOptionsOf(type, new URLSearchParams(query))));

  beforeEach(() => {
    objects = new FakeObjects();
    source = new FakeSource();
    clock = new FakeClock();
    service = new ResourceMetricsService(source, objects as unknown as ObjectStoreRepository, clock);
    const pods = [
      pod('shop', 'web-1', { app: 'web', tier: 'front' }),
      pod('shop', 'web-2', { app: 'web' }),
      pod('shop', 'db-0', { app: 'db' }),
      pod('blog', 'web-1', { app: 'web' }),
      pod('blog', 'starting', { app: 'web' }),
    ];
    objects.objects.push(...pods);
    source.summaries = [
      {
        node: { nodeName: 'zone-a', cpu: { time: T, usageNanoCores: 5 }, memory: { time: T, workingSetBytes: 1024 } },
        pods: pods.slice(0, 4).map((p) => sampled(p)),
      },
    ];
  });

  it('lists the sampled pods of a namespace or of all, leaving out pods without a sample', async () => {
    expect(await list(POD_METRICS, 'shop')).toEqual(['shop/web-1', 'shop/web-2', 'shop/db-0']);
    expect(await list(POD_METRICS, '')).toEqual(['shop/web-1', 'shop/web-2', 'shop/db-0', 'blog/web-1']);
  });

  it('selects on the pod: labels, metadata.name and metadata.namespace', async () => {
    expect(await list(POD_METRICS, 'shop', 'labelSelector=app%3Dweb')).toEqual(['shop/web-1', 'shop/web-2']);
    expect(await list(POD_METRICS, '', 'labelSelector=tier')).toEqual(['shop/web-1']);
    expect(await list(POD_METRICS, '', 'labelSelector=app+notin+(web)')).toEqual(['shop/db-0']);
    expect(await list(POD_METRICS, '', 'fieldSelector=metadata.name%3Dweb-1')).toEqual(['shop/web-1', 'blog/web-1']);
    expect(await list(POD_METRICS, '', 'fieldSelector=metadata.namespace%21%3Dshop')).toEqual(['blog/web-1']);
    expect(await list(POD_METRICS, 'shop', 'fieldSelector=metadata.name%3Dweb-1,metadata.namespace%3Dshop')).toEqual([
      'shop/web-1',
    ]);
  });

  it('refuses other field labels as metrics-server does', async () => {
    const err = await apiRefusal(list(POD_METRICS, '', 'fieldSelector=spec.nodeName%3Dzone-a'));
    expect([err.code, err.message]).toEqual([
      400,
      '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ]);
  });

  it('gets one pod, and answers NotFound for a pod that is missing or has no sample', async () => {
    const got = await service.get(POD_METRICS, 'shop', 'web-2');
    expect(got).toMatchObject({
      kind: 'PodMetrics',
      metadata: { name: 'web-2', namespace: 'shop', labels: { app: 'web' } },
    });
    for (const name of ['starting', 'gone']) {
      const err = await apiRefusal(service.get(POD_METRICS, 'blog', name));
      expect(err.toStatus()).toMatchObject({
        code: 404,
        reason: 'NotFound',
        message: `podmetrics.metrics.k8s.io "${name}" not found`,
        details: { name, group: 'metrics.k8s.io', kind: 'podmetrics' },
      });
    }
  });

  it('serves the nodes the API has that hosts report', async () => {
    objects.objects.push(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'zone-a', labels: { zone: 'a' } } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'zone-b', labels: { zone: 'b' } } },
    );
    expect(await list(NODE_METRICS, '')).toEqual(['/zone-a']);
    expect(await list(NODE_METRICS, '', 'labelSelector=zone%3Db')).toEqual([]);
    expect(await list(NODE_METRICS, '', 'fieldSelector=metadata.name%3Dzone-a')).toEqual(['/zone-a']);
    expect(await service.get(NODE_METRICS, '', 'zone-a')).toMatchObject({ usage: { cpu: '5n', memory: '1Ki' } });
    const err = await apiRefusal(service.get(NODE_METRICS, '', 'zone-b'));
    expect([err.code, err.message]).toEqual([404, 'nodemetrics.metrics.k8s.io "zone-b" not found']);
  });

  it('collects once per TTL, shares a collection in flight, and does not keep a failed one', async () => {
    await Promise.all([list(POD_METRICS, 'shop'), list(POD_METRICS, 'blog'), service.get(POD_METRICS, 'shop', 'db-0')]);
    expect(source.calls).toBe(1);
    source.summaries = [];
    clock.advance(SUMMARY_TTL_MS - 1);
    expect(await list(POD_METRICS, 'shop')).toHaveLength(3);
    clock.advance(1);
    expect(await list(POD_METRICS, 'shop')).toEqual([]);
    expect(source.calls).toBe(2);

    clock.advance(SUMMARY_TTL_MS);
    source.failure = ApiError.unavailable('cannot list the sandbox hosts: redis is down');
    expect((await apiRefusal(list(POD_METRICS, 'shop'))).code).toBe(503);
    source.failure = undefined;
    source.summaries = [{ node: { nodeName: 'zone-a' }, pods: [sampled(objects.objects[2])] }];
    expect(await list(POD_METRICS, 'shop')).toEqual(['shop/db-0']);
    expect(source.calls).toBe(4);
  });
});
