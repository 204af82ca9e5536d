import { NetworkSvcConfig } from '@skiff/config';
import { ENDPOINT_SLICES, SERVICES } from '@skiff/controller-runtime';
import { EndpointSlice, Service, SERVICE_NAME_LABEL } from '@skiff/kube-types';
import { AddressPool } from '../edge/address-pool';
import { FakeCluster } from '@skiff/testing';
import { RecordingEdge } from '../edge/edge-cluster.fixture';
import { EdgeDataPlane } from '../edge/edge-data-plane';
import { LOADBALANCER_ID_LABEL, LoadBalancerReconciler } from './load-balancer.reconciler';
import { SlbBackend, SlbBackendProber } from './slb-backend-prober';
import { HealthCheckTimer, SlbHealthChecker } from './slb-health-checker';
import { SLB_ANNOTATION_PREFIX } from './slb-options';

/** Health probes that run only when the spec ticks; a backend answers unless it is `down`. */
class ManualProbes extends HealthCheckTimer {
  readonly down = new Set<SlbBackend>();
  private pending: (() => void)[] = [];

  after(_ms: number, run: () => void): () => void {
    this.pending.push(run);
    return () => (this.pending = this.pending.filter((r) => r !== run));
  }

  async tick(): Promise<void> {
    const due = this.pending;
    this.pending = [];
    due.forEach((run) => run());
    await new Promise((resolve) => setImmediate(resolve));
  }
}

class FakeProber extends SlbBackendProber {
  constructor(private readonly probes: ManualProbes) {
    super();
  }
  async probe(backend: SlbBackend): Promise<boolean> {
    return !this.probes.down.has(backend);
  }
}

const T = 'inet skiff-edge';
const SVC_SERVICE_IPS = (ip: string, port: number, svc = 'web') =>
  `add element ${T} service-ips { ${ip} . tcp . ${port} : goto service-shop/${svc}/tcp/http }`;

function service(name: string, spec: Partial<Service['spec']> = {}, annotations: Record<string, string> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace: 'shop',
      name,
      annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [SLB_ANNOTATION_PREFIX + k, v])),
    },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.96.3.4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      ...spec,
    },
  };
}

function slice(svc: string, ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { namespace: 'shop', name: `${svc}-abc`, labels: { [SERVICE_NAME_LABEL]: svc } },
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

describe(LoadBalancerReconciler.name, () => {
  let cluster: FakeCluster;
  let edge: RecordingEdge;
  let probes: ManualProbes;
  let pool: AddressPool;
  let controller: LoadBalancerReconciler;

  /** A network-svc process: its own pool, data plane and controller, on the cluster as it is. */
  const start = () => {
    edge = new RecordingEdge();
    probes = new ManualProbes();
    pool = new AddressPool('198.18.0.0/24');
    const health = new SlbHealthChecker(new FakeProber(probes), probes);
    const config = { vswitchCidr: '10.244.0.0/16' } as NetworkSvcConfig;
    controller = new LoadBalancerReconciler(config, new EdgeDataPlane(edge.network, edge.bandwidth), pool, health);
    controller.begin(cluster.ctx);
  };
  const reconcile = async (name: string) => {
    cluster.sync();
    const result = await controller.reconcile(cluster.ctx, `shop/${name}`);
    cluster.sync();
    return result;
  };
  const svc = (name: string) => cluster.get<Service>(SERVICES, 'shop', name)!;
  const slbOf = (name: string) => svc(name).metadata.labels?.[LOADBALANCER_ID_LABEL];
  const lastScript = () => edge.scripts[edge.scripts.length - 1];

  beforeEach(() => {
    cluster = new FakeCluster();
    start();
  });

  it('gives a LoadBalancer Service an SLB address, listeners to its ready pods, its status, label and event', async () => {
    cluster.put(SERVICES, service('web'));
    cluster.put(ENDPOINT_SLICES, slice('web', ['10.244.1.5', '10.244.1.6']));
    expect(await reconcile('web')).toBeUndefined();

    // The term's first pass writes the whole table (nothing served yet), then the Service's own rules.
    expect(edge.scripts).toHaveLength(2);
    expect(edge.scripts[0]).toContain(`delete table ${T}`);
    expect(edge.scripts[0]).not.toContain('add element');
    expect(edge.scripts[1]).toContain(SVC_SERVICE_IPS('198.18.0.1', 80));
    expect(edge.scripts[1]).toContain('dnat ip to 10.244.1.6:8080');
    expect(slbOf('web')).toMatch(/^lb-[0-9a-f]{21}$/);
    expect(svc('web').status?.loadBalancer).toEqual({ ingress: [{ ip: '198.18.0.1' }] });
    expect(cluster.events).toEqual([
      `Normal EnsuredLoadBalancer web: Ensured load balancer ${slbOf('web')} at 198.18.0.1`,
    ]);

    // Again: nothing to do.
    const writes = cluster.writes.length;
    await reconcile('web');
    expect(edge.scripts).toHaveLength(2);
    expect(cluster.writes).toHaveLength(writes);
  });

  it('follows endpoint changes with one incremental script, without writing the Service again', async () => {
    cluster.put(SERVICES, service('web'));
    cluster.put(ENDPOINT_SLICES, slice('web', ['10.244.1.5', '10.244.1.6']));
    await reconcile('web');
    const writes = cluster.writes.length;
    cluster.enqueued.length = 0;
    cluster.put(ENDPOINT_SLICES, slice('web', ['10.244.1.6', '10.244.1.7']));
    cluster.sync();
    expect(cluster.enqueued).toEqual(['shop/web']);
    await reconcile('web');
    expect(lastScript()).not.toContain('delete table');
    expect(lastScript()).toContain(`delete chain ${T} endpoint-shop/web/tcp/http__10.244.1.5/8080`);
    expect(lastScript()).toContain('dnat ip to 10.244.1.7:8080');
    expect(cluster.writes).toHaveLength(writes);
  });

  it('gives spec.loadBalancerIP, and reports one that is taken or outside the pool, retrying later', async () => {
    cluster.put(SERVICES, service('a', { loadBalancerIP: '198.18.0.77' }));
    cluster.put(SERVICES, service('b', { loadBalancerIP: '198.18.0.77' }));
    cluster.put(SERVICES, service('c', { loadBalancerIP: '10.1.1.1' }));
    await reconcile('a');
    expect(svc('a').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.77' }]);
    expect(await reconcile('b')).toEqual({ requeueAfterMs: 10_000 });
    expect(await reconcile('c')).toEqual({ requeueAfterMs: 10_000 });
    expect(cluster.events.slice(1)).toEqual([
      'Warning SyncLoadBalancerFailed b: Error syncing load balancer: 198.18.0.77 is already in use',
      'Warning SyncLoadBalancerFailed c: Error syncing load balancer: 10.1.1.1 is not an assignable address of 198.18.0.0/24',
    ]);
    expect(svc('b').status?.loadBalancer).toBeUndefined();
    expect(svc('c').status?.loadBalancer).toBeUndefined();
  });

  it('puts a Service naming an existing SLB on its address, refusing a taken listener and an unknown SLB', async () => {
    cluster.put(SERVICES, service('web'));
    await reconcile('web');
    const slb = slbOf('web')!;
    const port = (p: number): Partial<Service['spec']> => ({
      ports: [{ name: 'http', port: p, protocol: 'TCP', targetPort: 8080 }],
    });
    cluster.put(SERVICES, service('api', port(8080), { id: slb }));
    cluster.put(SERVICES, service('admin', port(80), { id: slb }));
    cluster.put(SERVICES, service('ghost', port(80), { id: 'lb-nothere1' }));

    await reconcile('api');
    expect(svc('api').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.1' }]);
    expect(slbOf('api')).toBe(slb);
    expect(lastScript()).toContain(
      `add element ${T} no-endpoint-services { 198.18.0.1 . tcp . 8080 : goto reject-chain }`,
    );
    expect(await reconcile('admin')).toEqual({ requeueAfterMs: 10_000 });
    expect(await reconcile('ghost')).toEqual({ requeueAfterMs: 10_000 });
    expect(cluster.events.filter((e) => e.startsWith('Warning'))).toEqual([
      `Warning SyncLoadBalancerFailed admin: Error syncing load balancer: the listener tcp/80 of SLB ${slb} is Service shop/web's`,
      'Warning SyncLoadBalancerFailed ghost: Error syncing load balancer: the SLB lb-nothere1 does not exist',
    ]);

    // The SLB outlives the Service that made it while another one is on it.
    cluster.remove(SERVICES, 'shop', 'web');
    await reconcile('web');
    cluster.put(SERVICES, service('next'));
    await reconcile('next');
    expect(svc('next').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.2' }]);
  });

  it('takes the listeners and the address back when the Service stops being a LoadBalancer or goes', async () => {
    cluster.put(SERVICES, service('web'));
    cluster.put(ENDPOINT_SLICES, slice('web', ['10.244.1.5']));
    await reconcile('web');
    const slb = slbOf('web');
    cluster.put(SERVICES, { ...svc('web'), spec: { ...svc('web').spec, type: 'ClusterIP' } });
    await reconcile('web');
    expect(lastScript()).toContain(
      `delete element ${T} service-ips { 198.18.0.1 . tcp . 80 : goto service-shop/web/tcp/http }`,
    );
    expect(svc('web').status?.loadBalancer).toEqual({});
    expect(cluster.events).toContain(`Normal DeletedLoadBalancer web: Deleted load balancer ${slb}`);

    cluster.put(SERVICES, service('other'));
    await reconcile('other');
    expect(svc('other').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.1' }]);
    const writes = cluster.writes.length;
    cluster.remove(SERVICES, 'shop', 'other');
    await reconcile('other');
    expect(lastScript()).toContain(
      `delete element ${T} no-endpoint-services { 198.18.0.1 . tcp . 80 : goto reject-chain }`,
    );
    expect(pool.addressOf(slb!)).toBeUndefined();
    expect(pool.owners('lb-')).toEqual([]);
    expect(cluster.writes).toHaveLength(writes);
  });

  it("leaves other types and other loadBalancerClasses' Services alone", async () => {
    cluster.put(SERVICES, service('internal', { type: 'ClusterIP' }));
    cluster.put(SERVICES, service('metal', { loadBalancerClass: 'metallb.io/metallb' }));
    await reconcile('internal');
    await reconcile('metal');
    expect(edge.scripts).toHaveLength(1);
    expect(cluster.writes).toEqual([]);
    expect(pool.owners('')).toEqual([]);
  });

  it('caps the bandwidth of the SLB address as the annotation asks, and lifts the cap', async () => {
    cluster.put(SERVICES, service('web', {}, { bandwidth: '20' }));
    await reconcile('web');
    expect(edge.shaped).toEqual([[], [{ address: '198.18.0.1', mbit: 20 }]]);
    cluster.put(SERVICES, { ...svc('web'), metadata: { ...svc('web').metadata, annotations: {} } });
    await reconcile('web');
    expect(edge.shaped[edge.shaped.length - 1]).toEqual([]);
  });

  it('takes a backend failing its health check out of the listener, and puts it back when it passes', async () => {
    cluster.put(SERVICES, service('web'));
    cluster.put(ENDPOINT_SLICES, slice('web', ['10.244.1.5', '10.244.1.6']));
    await reconcile('web');
    cluster.enqueued.length = 0;
    probes.down.add('10.244.1.5:8080');
    for (let i = 0; i < 3; i++) await probes.tick(); // the default unhealthy threshold
    expect(cluster.enqueued).toEqual(['shop/web']);
    await reconcile('web');
    expect(lastScript()).toContain(`delete chain ${T} endpoint-shop/web/tcp/http__10.244.1.5/8080`);
    expect(lastScript()).toContain(
      `add rule ${T} service-shop/web/tcp/http goto endpoint-shop/web/tcp/http__10.244.1.6/8080`,
    );

    probes.down.clear();
    for (let i = 0; i < 3; i++) await probes.tick();
    await reconcile('web');
    expect(lastScript()).toContain(`add chain ${T} endpoint-shop/web/tcp/http__10.244.1.5/8080`);
  });

  it('rewrites the whole table in a new process from the Services it served, keeping their addresses', async () => {
    cluster.put(SERVICES, service('web', { loadBalancerIP: '198.18.0.9' }));
    cluster.put(ENDPOINT_SLICES, slice('web', ['10.244.1.5']));
    await reconcile('web');
    const slb = slbOf('web');

    cluster.newTerm();
    start();
    cluster.put(SERVICES, service('late'));
    await reconcile('late');
    expect(edge.scripts[0]).toContain(`delete table ${T}`);
    expect(edge.scripts[0]).toContain(SVC_SERVICE_IPS('198.18.0.9', 80));
    expect(pool.addressOf(slb!)).toBe('198.18.0.9');
    expect(svc('late').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.1' }]);
    // The served Service's next pass finds its rules in place.
    await reconcile('web');
    expect(edge.scripts).toHaveLength(2);
  });

  it('moves the Services reusing an SLB with it when its address changes', async () => {
    cluster.put(SERVICES, service('web', { loadBalancerIP: '198.18.0.9' }));
    await reconcile('web');
    const port: Partial<Service['spec']> = { ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 8080 }] };
    cluster.put(SERVICES, service('api', port, { id: slbOf('web')! }));
    await reconcile('api');
    cluster.enqueued.length = 0;
    cluster.put(SERVICES, { ...svc('web'), spec: { ...svc('web').spec, loadBalancerIP: '198.18.0.10' } });
    await reconcile('web');
    expect(svc('web').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.10' }]);
    for (const key of new Set(cluster.enqueued)) await reconcile(key.split('/')[1]);
    expect(svc('api').status?.loadBalancer?.ingress).toEqual([{ ip: '198.18.0.10' }]);
  });
});
