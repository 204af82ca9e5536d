import { KubeObject } from '@skiff/api-machinery';
import { Informer, KubeClient, ResourceRef } from '@skiff/kube-client';

const RESYNC_MS = 30_000;
const SYNC_TIMEOUT_MS = 120_000;

/**
 * One informer per resource for all controllers of a leadership term (client-go's
 * SharedInformerFactory): controllers ask for what they watch before `start()`, and nothing
 * reconciles until every cache has listed (`synced()`), so no controller acts on a half cache.
 */
export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private allSynced?: Promise<void>;

  constructor(private readonly client: KubeClient) {}

  get<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    const key = `${ref.group}/${ref.version}/${ref.resource}`;
    let informer = this.informers.get(key);
    if (!informer) {
      if (this.allSynced) throw new Error(`informer for ${key} asked for after start`);
      informer = new Informer(this.client.resource(ref), { resyncMs: RESYNC_MS });
      this.informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  start(): void {
    for (const informer of this.informers.values()) informer.start();
    this.allSynced = Promise.all([...this.informers.values()].map((i) => i.waitForSync(SYNC_TIMEOUT_MS))).then(() => undefined);
    this.allSynced.catch(() => undefined); // awaited by synced(); an unhandled rejection here would only be noise
  }

  /** Resolves once every informer has listed; rejects if one could not within two minutes. */
  synced(): Promise<void> {
    if (!this.allSynced) return Promise.reject(new Error('informers not started'));
    return this.allSynced;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
