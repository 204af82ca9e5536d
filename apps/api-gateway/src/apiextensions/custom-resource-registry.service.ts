import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KubeObject, errorMessage } from '@skiff/api-machinery';
import { CRD_GROUP, CRD_RESOURCE, customResourcesFrom, ResourceRegistry, SchemaRegistry } from '@skiff/api-server';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { WatchCacheService } from '../storage/watch-cache.service';
import { CustomResourceDefinitionLifecycleService } from './crd-lifecycle.service';

// A missed change event (NATS away) is repaired by this resync.
const RESYNC_MS = 5000;

/**
 * Keeps this gateway's ResourceRegistry in step with the stored CRDs: loaded before the server
 * listens, then reloaded on every CRD change the watch cache relays (so every replica learns of
 * a CRD another one created), and on a timer.
 */
@Injectable()
export class CustomResourceRegistryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(CustomResourceRegistryService.name);
  private readonly base: SchemaRegistry;
  private fingerprint = '';
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStoreRepository,
    private readonly cache: WatchCacheService,
    private readonly lifecycle: CustomResourceDefinitionLifecycleService,
  ) {
    this.base = registry.schemas;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    void this.follow();
    this.timer = setInterval(() => void this.refresh(), RESYNC_MS);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /** Reloads the CRDs (coalescing calls made while one runs), then lets the lifecycle act on them. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.load();
        } catch (err) {
          this.log.warn(`loading CustomResourceDefinitions: ${errorMessage(err)}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async load(): Promise<void> {
    const { items } = await this.store.list({ group: CRD_GROUP, resource: CRD_RESOURCE });
    const fingerprint = items.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).join(',');
    if (fingerprint !== this.fingerprint) {
      const { types, schemas } = customResourcesFrom(items, this.base);
      this.registry.setCustomResources(types, schemas);
      this.fingerprint = fingerprint;
    }
    await this.lifecycle.reconcile(items as KubeObject[]);
  }

  // Follows CRD changes once the watch cache is ready (it may still be replaying at boot).
  private async follow(): Promise<void> {
    while (!this.cache.isReady() && !this.stopped) await new Promise((r) => setTimeout(r, 100));
    if (this.stopped) return;
    this.unsubscribe = this.cache.watch(
      { group: CRD_GROUP, resource: CRD_RESOURCE },
      this.cache.latestResourceVersion(),
      () => void this.refresh(),
    );
    await this.refresh();
  }
}
