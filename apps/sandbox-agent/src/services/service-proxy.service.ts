import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EndpointSlice, Service, SERVICE_NAME_LABEL } from '@skiff/kube-types';
import { Nftables } from '@skiff/host-tools';
import {
  HostServices,
  Ipv4Cidr,
  ServiceRules,
  serviceRulesOf,
  servicePortPlans,
  updateRuleset,
} from '@skiff/service-routing';
import { NftSyncLoop } from '../platform/nft-sync-loop';
import { SERVICE_CACHES, SERVICE_PROXY_CONFIG, ServiceProxyConfig } from './service-proxy.config';
import { ServiceCaches } from './service-caches';
import { fullRuleset, ServiceTableConfig } from './service-ruleset';

/**
 * The host's Service data plane (kube-proxy in nftables mode): Services and EndpointSlices from the API become
 * chains in the agent's own nft table. Events only mark a Service dirty; one sync at a time re-reads the dirty
 * Services from the caches and writes the difference to what it last applied as one `nft -f` transaction, so a
 * burst of changes becomes one write. The first sync (and any after a failed write) replaces the whole table.
 * Rules stay when the agent stops: pods keep reaching Services until the next agent rebuilds them.
 */
@Injectable()
export class ServiceProxy implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(ServiceProxy.name);
  private readonly table: ServiceTableConfig;
  private readonly podCidr: Ipv4Cidr;
  private readonly hostServices: HostServices;
  private readonly applied = new Map<string, ServiceRules>();
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly loop = new NftSyncLoop(this, this.log, 'Services and EndpointSlices');
  private dirty = new Set<string>();
  private needsFullSync = true;

  constructor(
    @Inject(SERVICE_PROXY_CONFIG) config: ServiceProxyConfig,
    @Inject(SERVICE_CACHES) private readonly caches: ServiceCaches,
    private readonly nft: Nftables,
  ) {
    if (!/^skiff[\w-]*$/.test(config.table)) throw new Error(`nft table "${config.table}" must start with "skiff"`);
    this.table = { table: config.table, bridge: config.bridge };
    this.podCidr = new Ipv4Cidr(config.podCidr);
    this.hostServices = { gateway: this.podCidr.gateway, ports: config.hostServicePorts };
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Watches Services and EndpointSlices; the first sync runs once both caches have listed. */
  start(): void {
    const { services, slices } = this.caches;
    for (const e of ['add', 'update', 'delete'] as const) {
      services.on(e, (svc) => this.markDirty(keyOf(svc.metadata.namespace, svc.metadata.name)));
    }
    slices.on('add', (s) => this.indexSlice(s));
    slices.on('update', (s, old) => {
      if (old && old !== s) this.unindexSlice(old);
      this.indexSlice(s);
    });
    slices.on('delete', (s) => this.unindexSlice(s));
    this.caches.start();
    void this.loop.start(() => this.caches.synced());
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.caches.stop();
  }

  /** Resolves when the table matches the caches as of now (tests, benchmarks). */
  whenSynced(): Promise<void> {
    return this.loop.whenSynced();
  }

  pending(): boolean {
    return this.needsFullSync || this.dirty.size > 0;
  }

  async sync(): Promise<void> {
    try {
      if (this.needsFullSync) await this.syncAll();
      else await this.syncDirty();
    } catch (err) {
      // The transaction left the table as it was; what we applied is no longer known to be exact: rebuild all.
      this.needsFullSync = true;
      throw err;
    }
  }

  private indexSlice(slice: EndpointSlice): void {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) return;
    const key = keyOf(slice.metadata.namespace, svc);
    let own = this.slicesByService.get(key);
    if (!own) this.slicesByService.set(key, (own = new Map()));
    own.set(slice.metadata.name ?? '', slice);
    this.markDirty(key);
  }

  private unindexSlice(slice: EndpointSlice): void {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) return;
    const key = keyOf(slice.metadata.namespace, svc);
    const own = this.slicesByService.get(key);
    own?.delete(slice.metadata.name ?? '');
    if (own?.size === 0) this.slicesByService.delete(key);
    this.markDirty(key);
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
    this.loop.poke();
  }

  private async syncAll(): Promise<void> {
    const started = Date.now();
    this.dirty.clear();
    const desired = new Map<string, ServiceRules>();
    for (const svc of this.caches.services.list()) {
      const key = keyOf(svc.metadata.namespace, svc.metadata.name);
      const rules = this.rulesOf(key, svc);
      if (rules) desired.set(key, rules);
    }
    await this.nft.apply(fullRuleset(this.table, desired.values()));
    this.applied.clear();
    for (const [k, r] of desired) this.applied.set(k, r);
    this.needsFullSync = false;
    this.log.log(`programmed ${desired.size} Services in table inet ${this.table.table} (${Date.now() - started} ms)`);
  }

  private async syncDirty(): Promise<void> {
    const keys = this.dirty;
    this.dirty = new Set();
    const changes: { key: string; before?: ServiceRules; after?: ServiceRules }[] = [];
    for (const key of keys) {
      const before = this.applied.get(key);
      const after = this.rulesOf(key);
      if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ key, before, after });
    }
    if (changes.length === 0) return;
    const script = updateRuleset(this.table.table, changes);
    if (script) await this.nft.apply(script);
    for (const { key, after } of changes) {
      if (after) this.applied.set(key, after);
      else this.applied.delete(key);
    }
  }

  /** What a Service should have in the table now; undefined when it has nothing there (gone, headless). */
  private rulesOf(key: string, svc?: Service): ServiceRules | undefined {
    const [namespace, name] = splitKey(key);
    const current = svc ?? this.caches.services.get(namespace, name);
    if (!current) return undefined;
    const slices = [...(this.slicesByService.get(key)?.values() ?? [])];
    const plans = servicePortPlans(current, slices, this.podCidr, this.hostServices);
    return plans.length ? serviceRulesOf(plans) : undefined;
  }
}

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
