import { InformerEventName, InformerHandler } from '@skiff/controller-runtime';
import { ProcessRunner } from '@skiff/host-tools';
import { EndpointSlice, Service } from '@skiff/kube-types';
import { Nftables } from '@skiff/host-tools';
import { ServiceCaches } from './service-caches';
import { ServiceProxy } from './service-proxy.service';

class FakeCache<T extends Service | EndpointSlice> {
  readonly items = new Map<string, T>();
  private readonly handlers: Record<InformerEventName, InformerHandler<T>[]> = { add: [], update: [], delete: [] };

  on(event: InformerEventName, handler: InformerHandler<T>): () => void {
    this.handlers[event].push(handler);
    return () => undefined;
  }
  list(): T[] {
    return [...this.items.values()];
  }
  hasSynced(): boolean {
    return true;
  }
  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(`${namespace}/${name}`);
  }
  put(obj: T): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const h of this.handlers[old ? 'update' : 'add']) h(obj, old);
  }
  remove(obj: T): void {
    this.items.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
    for (const h of this.handlers.delete) h(obj);
  }
}

class FakeNftables extends Nftables {
  readonly scripts: string[] = [];
  failNext = false;
  constructor() {
    super(new ProcessRunner());
  }
  override async apply(script: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Error: Could not process rule: No such file or directory');
    }
    this.scripts.push(script);
  }
}

const web: Service = {
  metadata: { namespace: 'shop', name: 'web' },
  spec: { clusterIP: '10.96.3.4', clusterIPs: ['10.96.3.4'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] },
};

const slice = (ips: string[]): EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { namespace: 'shop', name: 'web-x', labels: { 'kubernetes.io/service-name': 'web' } },
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  ports: [{ port: 8080, protocol: 'TCP' }],
});

describe(ServiceProxy.name, () => {
  let services: FakeCache<Service>;
  let slices: FakeCache<EndpointSlice>;
  let nft: FakeNftables;
  let proxy: ServiceProxy;

  beforeEach(() => {
    services = new FakeCache();
    slices = new FakeCache();
    nft = new FakeNftables();
    const caches: ServiceCaches = {
      services,
      slices,
      start: () => undefined,
      synced: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
    proxy = new ServiceProxy(
      { table: 'skiffT1_svc', bridge: 'skiffT1', podCidr: '10.244.7.0/24', hostServicePorts: [6443, 10053] },
      caches,
      nft,
    );
  });

  afterEach(() => proxy.stop());

  // Informers deliver what they list as `add` events after start(), as the fake does when put() follows it.
  it('writes the whole table once the caches have listed, then each change as a small transaction', async () => {
    proxy.start();
    services.put(web);
    slices.put(slice(['10.244.7.3']));
    await proxy.whenSynced();
    expect(nft.scripts).toHaveLength(1);
    expect(nft.scripts[0]).toMatch(/^table inet skiffT1_svc \{\}\ndelete table inet skiffT1_svc\n/);
    expect(nft.scripts[0]).toContain('dnat ip to 10.244.7.3:8080');

    slices.put(slice(['10.244.7.3', '10.244.7.4']));
    await proxy.whenSynced();
    expect(nft.scripts).toHaveLength(2);
    expect(nft.scripts[1]).not.toContain('delete table');
    expect(nft.scripts[1]).toContain('dnat ip to 10.244.7.4:8080');
    expect(nft.scripts[1]).not.toContain('dnat ip to 10.244.7.3:8080');

    slices.put(slice([]));
    await proxy.whenSynced();
    expect(nft.scripts[2]).toContain(
      'add element inet skiffT1_svc no-endpoint-services { 10.96.3.4 . tcp . 80 : goto reject-chain }',
    );

    services.remove(web);
    await proxy.whenSynced();
    expect(nft.scripts[3]).toContain('delete element inet skiffT1_svc service-addresses { 10.96.3.4 }');
  });

  it('writes nothing when a resync brings the same objects again', async () => {
    proxy.start();
    services.put(web);
    slices.put(slice(['10.244.7.3']));
    await proxy.whenSynced();
    services.put(web);
    slices.put(slice(['10.244.7.3']));
    await proxy.whenSynced();
    expect(nft.scripts).toHaveLength(1);
  });

  it('rebuilds the whole table after a transaction fails', async () => {
    proxy.start();
    services.put(web);
    await proxy.whenSynced();
    nft.failNext = true;
    slices.put(slice(['10.244.7.3']));
    await proxy.whenSynced();
    expect(nft.scripts).toHaveLength(2);
    expect(nft.scripts[1]).toMatch(/^table inet skiffT1_svc \{\}\ndelete table/);
    expect(nft.scripts[1]).toContain('dnat ip to 10.244.7.3:8080');
  });
});
