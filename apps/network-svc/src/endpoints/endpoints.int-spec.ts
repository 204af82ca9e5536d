import { reportPod as reportPodStatus } from './pod-status.fixture';
import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import type { EndpointSlice, Endpoints } from '@skiff/kube-types';

// network-svc's Endpoints and EndpointSlice controllers against a real API server. No sandboxes:
// pods get their address and readiness the way an agent reports them, through pods/status.
describe('network-svc: Endpoints and EndpointSlices', () => {
  let cluster: TestCluster;
  const ns = '/api/v1/namespaces/default';
  const slicesPath = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';

  const createPod = async (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}) => {
    const res = await apiRequest(cluster.stack, 'POST', `${ns}/pods`, {
      metadata: { name, labels },
      spec: {
        containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
        ...spec,
      },
    });
    expect(res.status).toBe(201);
  };
  const reportPod = (name: string, ip: string, ready: boolean) =>
    reportPodStatus(cluster.stack, 'default', name, ip, ready);
  const createService = async (name: string, spec: Record<string, unknown>) => {
    const res = await apiRequest(cluster.stack, 'POST', `${ns}/services`, { metadata: { name }, spec });
    expect(res.status).toBe(201);
  };
  const endpointsOf = async (name: string) => {
    const res = await apiRequest(cluster.stack, 'GET', `${ns}/endpoints/${name}`);
    return res.status === 200 ? (res.body as Endpoints) : undefined;
  };
  const slicesOf = async (service: string) =>
    (
      (await apiRequest(cluster.stack, 'GET', `${slicesPath}?labelSelector=kubernetes.io/service-name=${service}`))
        .body as { items: EndpointSlice[] }
    ).items;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc']);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists ready and not-ready pods with their named target port, in Endpoints and one slice', async () => {
    await createPod('web-1', { app: 'web' });
    await createPod('web-2', { app: 'web' });
    await createPod('web-3', { app: 'web' });
    await createPod('other', { app: 'other' });
    await reportPod('web-1', '10.244.9.11', true);
    await reportPod('web-2', '10.244.9.12', true);
    await reportPod('web-3', '10.244.9.13', false);
    await reportPod('other', '10.244.9.20', true);
    await createService('web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] });

    const eps = await eventually(
      async () => {
        const e = await endpointsOf('web');
        return e?.subsets?.[0]?.notReadyAddresses ? e : undefined;
      },
      20_000,
      'Endpoints web',
    );
    expect(eps.subsets).toEqual([
      {
        addresses: [
          { ip: '10.244.9.11', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-1' }) },
          { ip: '10.244.9.12', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-2' }) },
        ],
        notReadyAddresses: [{ ip: '10.244.9.13', targetRef: expect.objectContaining({ name: 'web-3' }) }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);

    const [slice, ...more] = await eventually(async () => {
      const s = await slicesOf('web');
      return s.length === 1 && s[0].endpoints?.length === 3 ? s : undefined;
    });
    expect(more).toEqual([]);
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Service', name: 'web', controller: true }),
    ]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    expect(slice.endpoints!.map((e) => [e.addresses[0], e.conditions])).toEqual([
      ['10.244.9.11', { ready: true, serving: true, terminating: false }],
      ['10.244.9.12', { ready: true, serving: true, terminating: false }],
      ['10.244.9.13', { ready: false, serving: false, terminating: false }],
    ]);

    const table = await cluster.kubectl(['get', 'endpoints', 'web', '--no-headers']);
    expect(table.stdout).toMatch(/^web\s+10\.244\.9\.11:8080,10\.244\.9\.12:8080\s+/);
  });

  it('follows a pod turning ready, and writes nothing while nothing changes', async () => {
    await reportPod('web-3', '10.244.9.13', true);
    const eps = await eventually(async () => {
      const e = await endpointsOf('web');
      return e?.subsets?.[0]?.addresses?.length === 3 ? e : undefined;
    });
    expect(eps.subsets?.[0]?.notReadyAddresses).toBeUndefined();
    const slices = await eventually(async () => {
      const s = await slicesOf('web');
      return s[0]?.endpoints?.every((e) => e.conditions?.ready) ? s : undefined;
    });
    // Another pod's event runs the controllers again; nothing of web changed, so nothing of it is rewritten.
    await reportPod('other', '10.244.9.20', false);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await endpointsOf('web'))?.metadata.resourceVersion).toBe(eps.metadata.resourceVersion);
    expect((await slicesOf('web'))[0].metadata.resourceVersion).toBe(slices[0].metadata.resourceVersion);
  });

  it('gives StatefulSet-style pods their hostname in a headless Service', async () => {
    await createPod('db-0', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' });
    await reportPod('db-0', '10.244.9.30', true);
    await createService('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'sql', port: 5432 }] });
    const eps = await eventually(async () => (await endpointsOf('db'))?.subsets ?? undefined);
    expect(eps[0].addresses).toEqual([expect.objectContaining({ ip: '10.244.9.30', hostname: 'db-0' })]);
    expect(eps[0].ports).toEqual([{ name: 'sql', port: 5432, protocol: 'TCP' }]);
    expect((await endpointsOf('db'))?.metadata.labels).toMatchObject({ 'service.kubernetes.io/headless': '' });
    const [slice] = await eventually(async () => {
      const s = await slicesOf('db');
      return s[0]?.endpoints?.length ? s : undefined;
    });
    expect(slice.endpoints![0].hostname).toBe('db-0');
  });

  it('mirrors the Endpoints users write for a Service without a selector', async () => {
    await createService('external-db', { ports: [{ port: 3306 }] });
    const res = await apiRequest(cluster.stack, 'POST', `${ns}/endpoints`, {
      metadata: { name: 'external-db' },
      subsets: [
        { addresses: [{ ip: '192.0.2.10' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ port: 3306 }] },
      ],
    });
    expect(res.status).toBe(201);
    const [slice] = await eventually(async () => {
      const s = await slicesOf('external-db');
      return s.length ? s : undefined;
    });
    expect(slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).toBe(
      'endpointslicemirroring-controller.k8s.io',
    );
    expect(slice.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Endpoints', name: 'external-db' }),
    ]);
    expect(slice.endpoints!.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
      ['192.0.2.10', true],
      ['192.0.2.11', false],
    ]);
    // The controller leaves a selectorless Service's Endpoints alone.
    expect((await endpointsOf('external-db'))?.subsets?.[0]?.addresses).toEqual([{ ip: '192.0.2.10' }]);
  });

  it('splits more than 100 endpoints across slices', async () => {
    for (let i = 0; i < 101; i++) await createPod(`many-${i}`, { app: 'many' });
    for (let i = 0; i < 101; i++) await reportPod(`many-${i}`, `10.244.10.${i + 1}`, true);
    await createService('many', { selector: { app: 'many' }, ports: [{ port: 80, targetPort: 8080 }] });
    const slices = await eventually(
      async () => {
        const s = await slicesOf('many');
        const total = s.reduce((n, x) => n + (x.endpoints?.length ?? 0), 0);
        return total === 101 ? s : undefined;
      },
      30_000,
      '101 endpoints in slices',
    );
    expect(slices.map((s) => s.endpoints!.length).sort((a, b) => a - b)).toEqual([1, 100]);
  });

  it('removes the Endpoints and slices of a deleted Service', async () => {
    expect((await apiRequest(cluster.stack, 'DELETE', `${ns}/services/web`)).status).toBe(200);
    await eventually(async () => (await endpointsOf('web')) === undefined, 20_000, 'Endpoints web gone');
    await eventually(async () => (await slicesOf('web')).length === 0, 20_000, 'slices of web gone');
  });
});
