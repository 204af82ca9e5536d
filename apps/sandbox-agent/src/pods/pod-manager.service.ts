import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventRecorder } from '@skiff/controller-runtime';
import { isConflict, isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { SyncPodCommand } from '@skiff/messaging';
import { NatsConnection } from 'nats';
import { promises as fs } from 'node:fs';
import { metaTime } from '@skiff/api-machinery';
import { Pod, PodPhase, PodStatus, SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { ApiConfigSource } from './api-config.source';
import { buildPodStatus, ObservedContainer } from './container-status.builder';
import { ImagePuller } from './image-puller';
import { IpamClient } from './ipam.client';
import { KeyedMutex } from './keyed-mutex';
import { ListedContainers, PodLifecycle } from './pod-lifecycle';
import { PodManagerConfig } from './pod-manager.config';
import { PodRecord, PodStateStore, RuntimeKind } from './pod-state.store';
import { gracePeriodSeconds, PodTermination } from './pod-termination';
import { ContainerProber } from './probes/prober';
import { sameStatus } from './status-diff';
import { SandboxHost } from './sandbox-host';

const TERMINAL: PodPhase[] = ['Succeeded', 'Failed'];

/**
 * The kubelet core of a sandbox host: converges each pod placed here with the pod in the API
 * (`sync`, serialised per pod and level-triggered), keeps containers running per restartPolicy
 * in a 1 s loop, reports status, and re-adopts its pods after a restart from the state dir.
 */
@Injectable()
export class PodManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PodManager.name);
  private readonly pods: ResourceClient<Pod>;
  private readonly records = new Map<string, PodRecord>();
  private readonly locks = new KeyedMutex();
  private readonly listing = new Map<RuntimeKind, Promise<ListedContainers>>();
  private readonly store: PodStateStore;
  private readonly lifecycle: PodLifecycle;
  private readonly termination: PodTermination;
  private readonly ipam: IpamClient;
  private readonly events: EventRecorder;
  private readonly source: ApiConfigSource;
  private readonly sandboxRetryAt = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastVolumeRefresh = 0;
  private ticking = false;
  private stopped = false;
  // Queue jobs start arriving while start() still runs (Nest boots providers in parallel): a sync before the
  // state dir is loaded would admit a running pod afresh and tear down its live sandbox.
  private readonly adopted: Promise<void>;
  private markAdopted: () => void = () => undefined;

  constructor(
    private readonly config: PodManagerConfig,
    client: KubeClient,
    nats: NatsConnection,
    readonly host: SandboxHost,
  ) {
    this.pods = client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespaced: true });
    this.store = new PodStateStore(config.stateDir);
    this.ipam = new IpamClient(nats, config.natsPrefix);
    this.events = new EventRecorder(client, 'skiff-sandbox-agent', { host: config.hostId });
    this.source = new ApiConfigSource(client);
    this.lifecycle = new PodLifecycle({
      runtimes: host.runtimes,
      images: host.images,
      puller: new ImagePuller(host.images, this.events, this.source),
      volumes: host.volumes,
      prober: new ContainerProber(),
      events: this.events,
      source: this.source,
      bridge: host.options.bridge,
      pauseImage: config.pauseImage,
      startConcurrency: config.startConcurrency,
      allocatable: { cpuMilli: config.capacity.cpuMilli, memoryBytes: config.capacity.memoryBytes },
      clock: Date.now,
    });
    this.termination = new PodTermination(host.runtimes, host.volumes, this.events, host.options.bridge);
    this.adopted = new Promise((resolve) => (this.markAdopted = resolve));
  }

  get nodeName(): string {
    return `virtual-kubelet-${this.config.zone}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Host network, re-adoption of the pods in the state dir, then the status loop and the resync. */
  async start(): Promise<void> {
    await this.host.ensureNetwork();
    for (const r of await this.store.loadAll()) this.records.set(r.uid, r);
    await this.removeOrphanSandboxes();
    this.markAdopted();
    this.timers.push(setInterval(() => void this.tick(), this.config.statusIntervalMs));
    this.timers.push(setInterval(() => void this.resync(), this.config.resyncIntervalMs));
    void this.resync();
  }

  /** Stops the loops; containers keep running under conmon for the next agent to adopt. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.locks.idle();
  }

  /** Converge one pod with the API's view of it (BullMQ job, resync). */
  sync(cmd: SyncPodCommand): Promise<void> {
    return this.adopted.then(() => this.locks.run(cmd.podUid, () => this.syncPod(cmd)));
  }

  /** The pods this agent runs (tests, diagnostics). */
  known(): PodRecord[] {
    return [...this.records.values()];
  }

  private async syncPod(cmd: SyncPodCommand): Promise<void> {
    const found = await this.pods.get(cmd.namespace, cmd.name).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    const pod = found && found.metadata.uid === cmd.podUid ? found : undefined;
    const record = this.records.get(cmd.podUid);
    if (!pod || pod.metadata.deletionTimestamp || !this.isOurs(pod)) {
      if (record) await this.teardown(record, pod);
      else if (pod?.metadata.deletionTimestamp && this.isOurs(pod)) await this.finishDeletion(pod);
      return;
    }
    if (record) {
      record.pod = pod;
      await this.converge(record);
      return;
    }
    if (TERMINAL.includes(pod.status?.phase ?? 'Pending')) return;
    const admitted = await this.admit(pod);
    // A new pod runs nothing yet (no runtime listing needed); its first status (address, ContainerCreating)
    // is written while the sandbox is made, and lands before the status that follows.
    const firstReport = this.report(admitted, new Map());
    firstReport.catch(() => undefined);
    await this.converge(admitted, new Map(), firstReport);
  }

  // A new pod: its address from network-svc and the runtime its RuntimeClass names.
  private async admit(pod: Pod): Promise<PodRecord> {
    const uid = pod.metadata.uid!;
    const ip = await this.ipam.allocate({
      podUid: uid,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name!,
      hostId: this.config.hostId,
    });
    const record: PodRecord = {
      uid,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name!,
      runtime: this.runtimeKind(pod),
      ip,
      startTime: pod.status?.startTime ?? metaTime(Date.now()),
      containers: {},
      pod,
    };
    this.records.set(uid, record);
    await this.store.save(record);
    return record;
  }

  private runtimeKind(pod: Pod): RuntimeKind {
    const cls = pod.spec.runtimeClassName ?? this.config.defaultRuntimeClass;
    return cls === 'gvisor' ? 'runsc' : 'runc';
  }

  private async converge(
    record: PodRecord,
    listed?: ListedContainers,
    reported: Promise<void> = Promise.resolve(),
  ): Promise<void> {
    if (this.stopped) return;
    const pod = record.pod;
    const listing = listed ?? (await this.list(record.runtime));
    if (record.sandbox && !(await this.sandboxAlive(record, listing))) await this.sandboxLost(record);
    if (!record.sandbox && !TERMINAL.includes(pod.status?.phase ?? 'Pending')) {
      const retryAt = this.sandboxRetryAt.get(record.uid) ?? 0;
      if (Date.now() >= retryAt) {
        try {
          await this.lifecycle.createSandbox(pod, record);
          this.sandboxRetryAt.delete(record.uid);
        } catch (err) {
          this.sandboxRetryAt.set(record.uid, Date.now() + 10_000);
          this.log.warn(`pod ${record.namespace}/${record.name}: sandbox: ${(err as Error).message}`);
        }
        await this.store.save(record);
      }
    }
    const observed = await this.lifecycle.converge(pod, record, listing);
    await this.store.save(record);
    await reported;
    await this.report(record, observed);
    if (record.sandbox && TERMINAL.includes(record.pod.status?.phase ?? 'Pending')) await this.releaseFinished(record);
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
        this.log.warn(`pod ${record.namespace}/${record.name}: releasing ${record.ip?.ip}: ${(err as Error).message}`),
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
    return fs.access(sandbox.netnsPath).then(
      () => true,
      () => false,
    );
  }

  // The pause or netns is gone (host reboot, killed): a fresh sandbox with the same address; its containers are lost.
  private async sandboxLost(record: PodRecord): Promise<void> {
    this.log.warn(
      `pod ${record.namespace}/${record.name}: sandbox ${record.sandbox!.pauseId ?? record.sandbox!.netnsPath} is gone, recreating it`,
    );
    await this.host.runtimes[record.runtime].sandbox.remove(record.uid, this.host.options.bridge);
    record.sandbox = undefined;
  }

  private async report(record: PodRecord, observed: Map<string, ObservedContainer>): Promise<void> {
    const status: PodStatus = buildPodStatus({ pod: record.pod, record, observed, now: new Date() });
    if (sameStatus(status, record.pod.status)) return;
    try {
      const updated = await this.pods.patchStatus(record.namespace, record.name, { status }, 'merge', {
        fieldManager: 'skiff-sandbox-agent',
      });
      if (updated.metadata.uid === record.uid) record.pod = updated;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async teardown(record: PodRecord, pod: Pod | undefined): Promise<void> {
    await this.termination.terminate(record, pod, pod ? gracePeriodSeconds(pod) : 2);
    try {
      await this.ipam.release(record.uid);
    } catch (err) {
      // network-svc's leak collector frees addresses of pods that no longer exist.
      this.log.warn(`pod ${record.namespace}/${record.name}: releasing ${record.ip?.ip}: ${(err as Error).message}`);
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

  private isOurs(pod: Pod): boolean {
    return (
      pod.spec.nodeName === this.nodeName && pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION] === this.config.hostId
    );
  }

  // `list` reads every container's state: concurrent syncs share the one in flight. A container made after
  // it started is simply absent, and then looked up on its own (observe, sandboxAlive).
  private list(kind: RuntimeKind): Promise<ListedContainers> {
    let pending = this.listing.get(kind);
    if (!pending) {
      pending = this.host.runtimes[kind].runtime
        .list()
        .then((listed) => new Map(listed.map((c) => [c.id, c.status])))
        .finally(() => this.listing.delete(kind));
      this.listing.set(kind, pending);
    }
    return pending;
  }

  /** The 1 s loop: every pod not busy with a sync is converged from its cached object; volumes refresh every ~10 s. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const kinds = new Set([...this.records.values()].map((r) => r.runtime));
      const listings = new Map<RuntimeKind, ListedContainers>();
      for (const k of kinds) listings.set(k, await this.list(k));
      const refresh = Date.now() - this.lastVolumeRefresh >= this.config.volumeRefreshMs;
      if (refresh) this.lastVolumeRefresh = Date.now();
      for (const record of this.records.values()) {
        if (this.locks.busy(record.uid)) continue;
        void this.locks
          .run(record.uid, async () => {
            if (this.records.get(record.uid) !== record) return;
            if (refresh && record.sandbox) await this.refreshVolumes(record);
            await this.converge(record, listings.get(record.runtime));
          })
          .catch((err: unknown) => this.log.warn(`pod ${record.namespace}/${record.name}: ${(err as Error).message}`));
      }
    } catch (err) {
      this.log.warn(`status loop: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async refreshVolumes(record: PodRecord): Promise<void> {
    try {
      await this.host.volumes.refresh(record.pod, this.source, this.lifecycle.downward(record));
    } catch (err) {
      this.events.record(record.pod, 'Warning', 'FailedMount', (err as Error).message);
    }
  }

  /** Every 30 s: sync each pod the API places here, and each local pod the API no longer has. */
  async resync(): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.pods.list(undefined, { fieldSelector: `spec.nodeName=${this.nodeName}` });
      const seen = new Set<string>();
      for (const pod of list.items.filter((p) => this.isOurs(p))) {
        seen.add(pod.metadata.uid!);
        if (
          !this.records.has(pod.metadata.uid!) &&
          TERMINAL.includes(pod.status?.phase ?? 'Pending') &&
          !pod.metadata.deletionTimestamp
        )
          continue;
        await this.sync({
          podUid: pod.metadata.uid!,
          namespace: pod.metadata.namespace!,
          name: pod.metadata.name!,
        }).catch((err: unknown) => this.log.warn(`resync ${pod.metadata.name}: ${(err as Error).message}`));
      }
      for (const r of [...this.records.values()].filter((x) => !seen.has(x.uid))) {
        await this.sync({ podUid: r.uid, namespace: r.namespace, name: r.name }).catch((err: unknown) =>
          this.log.warn(`resync ${r.name}: ${(err as Error).message}`),
        );
      }
    } catch (err) {
      this.log.warn(`resync: ${(err as Error).message}`);
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
      for (const uid of orphans) await sandbox.remove(uid!, this.host.options.bridge).catch(() => undefined);
    }
  }
}
