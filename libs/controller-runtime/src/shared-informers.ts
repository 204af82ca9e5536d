import { KubeObject } from '@skiff/api-machinery';
import { KubeClient, ResourceRef } from '@skiff/kube-client';
import { Informer } from './informer';

const RESYNC_MS = 30_000;
const SYNC_TIMEOUT_MS = 120_000;

/**
 * One informer per resource for all controllers of a leadership term (client-go's
 * SharedInformerFactory): controllers ask for what they watch before `start()`, and nothing
 * reconciles until every cache has listed (`synced()`), so no controller acts on a half cache.
 */
export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(private readonly client: KubeClient) {}

  get<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    const key = `${ref.group}/${ref.version}/${ref.resource}`;
    let informer = this.informers.get(key);
    if (!informer) {
      if (this.started) throw new Error(`informer for ${key} asked for after start`);
      informer = new Informer(this.client.resource(ref), { resyncMs: RESYNC_MS });
      this.informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves once every informer has listed; rejects after two minutes (the caller retries, so a slow list only delays). */
  synced(): Promise<void> {
    if (!this.started) return Promise.reject(new Error('informers not started'));
    return Promise.all([...this.informers.values()].map((i) => i.waitForSync(SYNC_TIMEOUT_MS))).then(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
