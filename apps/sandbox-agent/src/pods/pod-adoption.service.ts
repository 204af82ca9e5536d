import { Inject, Injectable, Logger } from '@nestjs/common';
import { POD_API, POD_MANAGER_CONFIG, PodApi } from '../platform/agent.providers';
import { PodHost } from './pod-host';
import { PodManagerConfig } from './pod-manager.config';
import { hasFinished, isPlacedHere, virtualNodeName } from './pod-placement';
import { PodRecords } from './pod-records';
import { PodStateStore, RuntimeKind } from './pod-state.store';
import { PodSync } from './pod-sync.service';
import { errorMessage } from '@skiff/api-machinery';

/**
 * The pods this agent already runs: after a restart, those in the state dir are adopted again and
 * sandboxes nobody recorded are removed; the resync then compares them with the pods the API places here.
 */
@Injectable()
export class PodAdoption {
  private readonly log = new Logger(PodAdoption.name);

  constructor(
    @Inject(POD_MANAGER_CONFIG) private readonly config: PodManagerConfig,
    @Inject(POD_API) private readonly pods: PodApi,
    private readonly host: PodHost,
    private readonly records: PodRecords,
    private readonly store: PodStateStore,
    private readonly podSync: PodSync,
  ) {}

  /** Loads the state dir into the records, then removes the sandboxes of pods it does not name. */
  async adopt(): Promise<void> {
    for (const r of await this.store.loadAll()) this.records.set(r);
    await this.removeOrphanSandboxes();
  }

  /** Syncs each pod the API places here, and each local pod the API no longer has. */
  async resync(): Promise<void> {
    try {
      const list = await this.pods.list(undefined, { fieldSelector: `spec.nodeName=${virtualNodeName(this.config)}` });
      const seen = new Set<string>();
      for (const pod of list.items.filter((p) => isPlacedHere(p, this.config))) {
        seen.add(pod.metadata.uid!);
        // A pod that finished before this agent knew it needs nothing until it is deleted.
        if (!this.records.has(pod.metadata.uid!) && hasFinished(pod) && !pod.metadata.deletionTimestamp) continue;
        const { uid, namespace, name, resourceVersion } = pod.metadata;
        await this.podSync
          .sync({ podUid: uid!, namespace: namespace!, name: name!, resourceVersion }, pod)
          .catch((err: unknown) => this.log.warn(`resync ${pod.metadata.name}: ${errorMessage(err)}`));
      }
      for (const r of this.records.all().filter((x) => !seen.has(x.uid))) {
        await this.podSync
          .sync({ podUid: r.uid, namespace: r.namespace, name: r.name })
          .catch((err: unknown) => this.log.warn(`resync ${r.name}: ${errorMessage(err)}`));
      }
    } catch (err) {
      this.log.warn(`resync: ${errorMessage(err)}`);
    }
  }

  // Sandboxes of pods this agent has no record of (it crashed between creating and recording): removed.
  private async removeOrphanSandboxes(): Promise<void> {
    for (const kind of ['runc', 'runsc'] as RuntimeKind[]) {
      const { runtime, sandbox } = this.host.runtimes[kind];
      const orphans = new Set(
        (await runtime.list())
          .map((c) => /^skiff-([0-9a-f-]{36})_/.exec(c.id)?.[1])
          .filter((uid) => uid && !this.records.has(uid)),
      );
      for (const uid of orphans) await sandbox.remove(uid!).catch(() => undefined);
    }
  }
}
