import { Informer } from '@skiff/controller-runtime';
import type { EndpointSlice, Service } from '@skiff/kube-types';
import { ClusterZone } from './cluster-zone';
import { ZoneSource } from './dns-responder';

/**
 * The cluster zone as the informer caches have it. The caches are the state: a failed watch or
 * list leaves them as they were (the informer retries and only swaps its cache on a complete
 * list), so the server keeps answering from its last state while the API server, Postgres or
 * NATS are away. A change only marks the zone stale; the next query rebuilds it once.
 */
export class ClusterDnsCache extends ZoneSource {
  private zone?: ClusterZone;
  private stale = true;

  constructor(
    readonly domain: string,
    private readonly services: Informer<Service>,
    private readonly slices: Informer<EndpointSlice>,
    private readonly now: () => number = Date.now,
  ) {
    super();
    const changed = (obj: unknown, old?: unknown): void => {
      // A resync re-delivers the same object: nothing changed.
      if (obj !== old) this.stale = true;
    };
    for (const e of ['add', 'update', 'delete'] as const) {
      services.on(e, changed);
      slices.on(e, changed);
    }
  }

  current(): ClusterZone | undefined {
    if (!this.zone && !(this.services.hasSynced() && this.slices.hasSynced())) return undefined;
    if (this.stale || !this.zone) {
      this.stale = false;
      // The SOA serial moves with every change, in seconds as zone serials usually are.
      const serial = Math.max((this.zone?.soaRecord().data.serial ?? 0) + 1, Math.floor(this.now() / 1000));
      this.zone = new ClusterZone(this.domain, this.services.list(), this.slices.list(), serial >>> 0);
    }
    return this.zone;
  }
}
