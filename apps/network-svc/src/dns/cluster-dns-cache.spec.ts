import { KubeObject } from '@skiff/api-machinery';
import { Informer, ListWatcher } from '@skiff/controller-runtime';
import { KubeApiError, KubeList, WatchEvent, WatchHandle } from '@skiff/kube-client';
import type { EndpointSlice, Service } from '@skiff/kube-types';
import { ClusterDnsCache } from './cluster-dns-cache';

// An API that can go away: lists and watches fail while `down`, and the open watch can be broken.
class FlakyApi<T extends KubeObject> implements ListWatcher<T> {
  down = false;
  lists = 0;
  private emit?: (e: WatchEvent<T>) => void;
  private settle?: (err?: Error) => void;

  constructor(public objects: T[]) {}

  async list(): Promise<KubeList<T>> {
    this.lists++;
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    return { metadata: { resourceVersion: '10' }, items: this.objects.map((o) => structuredClone(o)) };
  }

  watch(_ns: string | undefined, _opts: unknown, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    const done = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
      if (this.down) reject(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    });
    this.emit = onEvent;
    return { done, stop: () => this.settle?.() };
  }

  send(e: WatchEvent<T>): void {
    this.emit?.(e);
  }

  /** Ends the open watch with an error: a dropped connection, or 410 Expired (which makes the informer list again). */
  breakWatch(err: Error): void {
    this.settle?.(err);
  }
}

const svc = (name: string, clusterIP: string, rv: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', resourceVersion: rv },
  spec: { clusterIP },
});
const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined, error: () => undefined };
const settle = () => new Promise((r) => setTimeout(r, 20));
const addressesOf = (cache: ClusterDnsCache, name: string) =>
  cache
    .current()
    ?.lookup(`${name}.default.svc.cluster.local`, 'A')
    .answers.map((a) => ('data' in a ? a.data : undefined));

describe(ClusterDnsCache.name, () => {
  let services: Informer<Service>;
  let slices: Informer<EndpointSlice>;
  afterEach(async () => {
    await services.stop();
    await slices.stop();
  });

  function start(api: FlakyApi<Service>): ClusterDnsCache {
    const backoff = { initialMs: 5, maxMs: 10 };
    services = new Informer<Service>(api, { backoff, logger: quiet });
    slices = new Informer<EndpointSlice>(new FlakyApi<EndpointSlice>([]), { backoff, logger: quiet });
    const cache = new ClusterDnsCache('cluster.local', services, slices, () => 1_700_000_000_000);
    services.start();
    slices.start();
    return cache;
  }

  it('has no zone before the caches have listed', async () => {
    const api = new FlakyApi([svc('web', '10.96.0.20', '5')]);
    api.down = true;
    const cache = start(api);
    await settle();
    expect(cache.current()).toBeUndefined();
    api.down = false;
    await services.waitForSync(1000);
    await slices.waitForSync(1000);
    expect(addressesOf(cache, 'web')).toEqual(['10.96.0.20']);
  });

  it('follows changes, and keeps its last state while the API server is away', async () => {
    const api = new FlakyApi([svc('web', '10.96.0.20', '5')]);
    const cache = start(api);
    await services.waitForSync(1000);
    await slices.waitForSync(1000);
    const first = cache.current();
    expect(cache.current()).toBe(first); // nothing changed: the zone is not rebuilt
    api.send({ type: 'ADDED', object: svc('db', '10.96.0.30', '11') });
    expect(addressesOf(cache, 'db')).toEqual(['10.96.0.30']);
    expect(cache.current()!.soaRecord().data.serial).toBeGreaterThan(first!.soaRecord().data.serial!);

    // The API server goes away: the watch breaks, and the lists that follow a 410 fail for a while.
    api.down = true;
    api.breakWatch(new Error('socket hang up'));
    await new Promise((r) => setTimeout(r, 50));
    expect(addressesOf(cache, 'web')).toEqual(['10.96.0.20']);
    const listsBefore = api.lists;
    api.down = false;
    await new Promise((r) => setTimeout(r, 50)); // a watch is open again
    api.down = true;
    api.breakWatch(
      KubeApiError.fromResponse(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' }),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(api.lists).toBeGreaterThan(listsBefore + 1); // relisting, and failing
    expect(addressesOf(cache, 'web')).toEqual(['10.96.0.20']);
    expect(addressesOf(cache, 'db')).toEqual(['10.96.0.30']);
  });
});
