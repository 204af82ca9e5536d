import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { isConflict, isNotFound } from '@skiff/kube-client';
import { Pod } from '@skiff/kube-types';
import { SyncPodCommand } from '@skiff/messaging';
import { POD_API, POD_MANAGER_CONFIG, PodApi } from '../platform/agent.providers';
import { IpamClient } from './ipam.client';
import { KeyedMutex } from './keyed-mutex';
import { PodAdmission } from './pod-admission.service';
import { PodHost } from './pod-host';
import { ListedContainers, PodLifecycle } from './pod-lifecycle';
import { PodLogs } from './pod-logs';
import { PodManagerConfig } from './pod-manager.config';
import { hasFinished, isPlacedHere } from './pod-placement';
import { PodRecords } from './pod-records';
import { PodRecord, PodStateStore, RuntimeKind } from './pod-state.store';
import { PodStatusReporter } from './pod-status.reporter';
import { gracePeriodSeconds, PodTermination } from './pod-termination';

// How old a full runtime listing may be (see `list`).
const FULL_LISTING_MS = 10_000;
// A sandbox that failed to come up is tried again after this long.
const SANDBOX_RETRY_MS = 10_000;
// A new pod's first status (its address, ContainerCreating) is written only if it is not Running by then: a pod that
// starts at once gets one status write, as kubelet's status manager writes only the latest status it holds.
const FIRST_STATUS_DELAY_MS = 1_000;

/**
 * Converges each pod placed here with the pod in the API, one sync at a time per pod and level-triggered:
 * admits new pods, makes (and remakes lost) sandboxes, runs containers through PodLifecycle, reports status,
 * releases finished pods and tears deleted ones down.
 */
@Injectable()
export class PodSync {
  private readonly log = new Logger(PodSync.name);
  private readonly locks = new KeyedMutex();
  private readonly fullListings = new Map<
    RuntimeKind,
    { atMs: number; listing: Promise<{ atMs: number; containers: ListedContainers }> }
  >();
  private readonly sandboxRetryAt = new Map<string, number>();
  private lastVolumeRefresh = 0;
  private stopped = false;

  constructor(
    @Inject(POD_MANAGER_CONFIG) private readonly config: PodManagerConfig,
    @Inject(POD_API) private readonly pods: PodApi,
    private readonly host: PodHost,
    private readonly records: PodRecords,
    private readonly admission: PodAdmission,
    private readonly reporter: PodStatusReporter,
    private readonly lifecycle: PodLifecycle,
    private readonly termination: PodTermination,
    private readonly logs: PodLogs,
    private readonly ipam: IpamClient,
    private readonly store: PodStateStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Converge one pod with the API's view of it; syncs of one pod run one after another. `listed`: the pod as a
   * list has just returned it, read instead of the pod when this agent holds a record of it.
   */
  sync(cmd: SyncPodCommand, listed?: Pod): Promise<void> {
    return this.locks.run(cmd.podUid, () => this.syncPod(cmd, listed));
  }

  /** The status loop's pass: every pod not busy with a sync is converged from its cached object; volumes refresh every ~10 s. */
  async convergeIdle(): Promise<void> {
    const kinds = new Set(this.records.all().map((r) => r.runtime));
    const listings = new Map<RuntimeKind, ListedContainers>();
    for (const k of kinds) listings.set(k, await this.list(k));
    const refresh = this.clock.nowMs() - this.lastVolumeRefresh >= this.config.volumeRefreshMs;
    if (refresh) this.lastVolumeRefresh = this.clock.nowMs();
    for (const record of this.records.all()) {
      if (this.locks.busy(record.uid)) continue;
      void this.locks
        .run(record.uid, async () => {
          if (this.records.get(record.uid) !== record) return;
          if (refresh && record.sandbox) await this.lifecycle.refreshVolumes(record);
          await this.converge(record, listings.get(record.runtime));
        })
        .catch((err: unknown) => this.log.warn(`pod ${record.namespace}/${record.name}: ${errorMessage(err)}`));
    }
  }

  /** Resolves when every sync and pass queued so far has finished. */
  idle(): Promise<void> {
    return this.locks.idle();
  }

  /** No pass starts any more; resolves when the syncs under way have finished. Containers keep running. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async syncPod(cmd: SyncPodCommand, listed?: Pod): Promise<void> {
    const record = this.records.get(cmd.podUid);
    // The version that prompted the job is one this agent holds already (its own status write came back, a
    // resync): the pod it holds is read instead. It may carry more than the job says, e.g. a deletion that the
    // answer to a status write brought, so the pod is still converged or torn down from it.
    const held =
      record && cmd.resourceVersion && !isNewer(cmd.resourceVersion, record.pod.metadata.resourceVersion)
        ? record.pod
        : undefined;
    // A listed pod stands in for a GET only where a record is held: a list read before the pod was deleted and
    // its record torn down would otherwise admit (and make a sandbox for) a pod the API no longer has.
    const found =
      held ??
      (record ? listed : undefined) ??
      (await this.pods.get(cmd.namespace, cmd.name).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }));
    const pod = found && found.metadata.uid === cmd.podUid ? found : undefined;
    const ours = pod !== undefined && isPlacedHere(pod, this.config);
    if (!pod || pod.metadata.deletionTimestamp || !ours) {
      if (record) await this.teardown(record, pod);
      else if (pod?.metadata.deletionTimestamp && ours) await this.finishDeletion(pod);
      return;
    }
    if (record) {
      record.pod = pod;
      await this.converge(record);
      return;
    }
    if (hasFinished(pod)) return;
    const admitted = await this.admission.admit(pod);
    await this.converge(admitted, new Map(), this.reportUnlessRunningSoon(admitted));
  }

  /**
   * Writes the admitted pod's first status after FIRST_STATUS_DELAY_MS unless the returned function is called
   * first; that function resolves once a first write under way has landed, so the statuses land in order.
   */
  private reportUnlessRunningSoon(record: PodRecord): () => Promise<void> {
    let writing: Promise<void> | undefined;
    // A real timer, not the Clock: it bounds how long a status waits, whatever time a spec's clock shows.
    const timer = setTimeout(() => {
      // A new pod runs nothing yet that a listing would show: its containers are reported as they are recorded.
      writing = this.reporter
        .report(record, new Map())
        .catch((err: unknown) => this.log.warn(`pod ${record.namespace}/${record.name}: status: ${errorMessage(err)}`));
    }, FIRST_STATUS_DELAY_MS);
    timer.unref();
    return async () => {
      clearTimeout(timer);
      await writing;
    };
  }

  private async converge(
    record: PodRecord,
    listed?: ListedContainers,
    firstReport: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    if (this.stopped) return;
    const pod = record.pod;
    const listing = listed ?? (await this.list(record.runtime));
    if (record.sandbox && !(await this.sandboxAlive(record, listing))) await this.sandboxLost(record);
    if (!record.sandbox && !hasFinished(pod)) {
      const retryAt = this.sandboxRetryAt.get(record.uid) ?? 0;
      if (this.clock.nowMs() >= retryAt) {
        try {
          await this.lifecycle.createSandbox(pod, record);
          this.sandboxRetryAt.delete(record.uid);
        } catch (err) {
          this.sandboxRetryAt.set(record.uid, this.clock.nowMs() + SANDBOX_RETRY_MS);
          this.log.warn(`pod ${record.namespace}/${record.name}: sandbox: ${errorMessage(err)}`);
        }
        await this.store.save(record);
      }
    }
    const observed = await this.lifecycle.converge(pod, record, listing);
    await this.store.save(record);
    this.logs.follow(record);
    await firstReport();
    await this.reporter.report(record, observed);
    if (record.sandbox && hasFinished(record.pod)) await this.releaseFinished(record);
  }

  // Succeeded/Failed: nothing may run any more; the sandbox and address go, logs and status stay until deletion.
  private async releaseFinished(record: PodRecord): Promise<void> {
    if (Object.values(record.containers).some((c) => c.runtimeId)) {
      // Failed from outside (e.g. NodeLost) while containers still run: stop them; the next pass records their exits.
      await this.termination.stopRunning(record, record.pod, gracePeriodSeconds(record.pod));
      return;
    }
    await this.termination.releaseFinished(record);
    record.sandbox = undefined;
    await this.store.save(record);
    await this.ipam
      .release(record.uid)
      .catch((err: unknown) =>
        this.log.warn(`pod ${record.namespace}/${record.name}: releasing ${record.ip?.ip}: ${errorMessage(err)}`),
      );
  }

  // runc pods live as long as their pause; gVisor pods (no pause) as long as their netns.
  private async sandboxAlive(record: PodRecord, listing: ListedContainers): Promise<boolean> {
    const sandbox = record.sandbox!;
    if (sandbox.pauseId) {
      if (listing.get(sandbox.pauseId) === 'running') return true;
      // A listing taken a moment ago may miss it: only the pause's own state condemns the sandbox.
      return (await this.host.runtimes[record.runtime].runtime.state(sandbox.pauseId)).status === 'running';
    }
    return this.host.netnsExists(sandbox.netnsPath);
  }

  // The pause or netns is gone (host reboot, killed): a fresh sandbox with the same address; its containers are lost.
  private async sandboxLost(record: PodRecord): Promise<void> {
    this.log.warn(
      `pod ${record.namespace}/${record.name}: sandbox ${record.sandbox!.pauseId ?? record.sandbox!.netnsPath} is gone, recreating it`,
    );
    // The lost containers' logs are read to their end before the sandbox's files go.
    await this.logs.drain(record);
    await this.host.runtimes[record.runtime].sandbox.remove(record.uid);
    record.sandbox = undefined;
  }

  private async teardown(record: PodRecord, pod: Pod | undefined): Promise<void> {
    await this.termination.terminate(record, pod, pod ? gracePeriodSeconds(pod) : 2);
    try {
      await this.ipam.release(record.uid);
    } catch (err) {
      // network-svc's leak collector frees addresses of pods that no longer exist.
      this.log.warn(`pod ${record.namespace}/${record.name}: releasing ${record.ip?.ip}: ${errorMessage(err)}`);
    }
    this.records.delete(record.uid);
    this.sandboxRetryAt.delete(record.uid);
    await this.store.remove(record.uid);
    if (pod) await this.finishDeletion(pod);
  }

  // What kubelet does once the containers are gone: delete with grace 0, only this very pod.
  private async finishDeletion(pod: Pod): Promise<void> {
    try {
      await this.pods.delete(pod.metadata.namespace, pod.metadata.name!, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /**
   * What runs, as one runtime listing would say. A full `runc list` reads every container's state file (a quarter
   * of a core at 500 pods, were it run every second), so it runs at most every FULL_LISTING_MS and concurrent callers
   * share it. Between two, a container this agent started since counts as running, and conmon's exit files (one
   * readdir) say which ended; a pause (it has no conmon) or a container whose conmon was killed shows at the next full
   * listing. What a listing does not name is looked up on its own (a pause made since, say).
   */
  private async list(kind: RuntimeKind): Promise<ListedContainers> {
    const { runtime } = this.host.runtimes[kind];
    const full = await this.fullListing(kind);
    const exited = await runtime.exited();
    const listed = new Map(full.containers);
    for (const r of this.records.all()) {
      if (r.runtime !== kind) continue;
      for (const c of Object.values(r.containers))
        if (c.runtimeId && c.startedAtMs !== undefined && c.startedAtMs >= full.atMs)
          listed.set(c.runtimeId, 'running');
    }
    for (const id of exited) if (listed.has(id)) listed.set(id, 'stopped');
    return listed;
  }

  private fullListing(kind: RuntimeKind): Promise<{ atMs: number; containers: ListedContainers }> {
    const now = this.clock.nowMs();
    const cached = this.fullListings.get(kind);
    if (cached && now - cached.atMs < FULL_LISTING_MS) return cached.listing;
    const listing = this.host.runtimes[kind].runtime
      .list()
      .then((listed) => ({ atMs: now, containers: new Map(listed.map((c) => [c.id, c.status])) }));
    this.fullListings.set(kind, { atMs: now, listing });
    // A failed listing is not kept: the next caller lists again.
    listing.catch(() => {
      if (this.fullListings.get(kind)?.listing === listing) this.fullListings.delete(kind);
    });
    return listing;
  }
}

// resourceVersions are decimal counters here; any other pair counts as new.
function isNewer(version: string, than: string | undefined): boolean {
  return !/^\d+$/.test(version) || !than || !/^\d+$/.test(than) || BigInt(version) > BigInt(than);
}
