import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SyncPodCommand } from '@skiff/messaging';
import { POD_MANAGER_CONFIG } from '../platform/agent.providers';
import { PodAdoption } from './pod-adoption.service';
import { PodHost } from './pod-host';
import { PodManagerConfig } from './pod-manager.config';
import { PodRecords } from './pod-records';
import { PodRecord } from './pod-state.store';
import { PodSync } from './pod-sync.service';
import { errorMessage } from '@skiff/api-machinery';

/**
 * The kubelet core of a sandbox host, as one face: adoption of the pods in the state dir at start,
 * `sync` of one pod (BullMQ job, resync), the 1 s status loop and the 30 s resync. The work is done by
 * PodAdoption, PodSync (with PodAdmission, PodLifecycle, PodStatusReporter, PodTermination).
 */
@Injectable()
export class PodManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PodManager.name);
  private readonly timers: NodeJS.Timeout[] = [];
  private ticking = false;
  private stopped = false;
  // Queue jobs start arriving while start() still runs (Nest boots providers in parallel): a sync before the
  // state dir is loaded would admit a running pod afresh and tear down its live sandbox.
  private readonly adopted: Promise<void>;
  private markAdopted: () => void = () => undefined;

  constructor(
    @Inject(POD_MANAGER_CONFIG) private readonly config: PodManagerConfig,
    private readonly host: PodHost,
    private readonly records: PodRecords,
    private readonly adoption: PodAdoption,
    private readonly podSync: PodSync,
  ) {
    this.adopted = new Promise((resolve) => (this.markAdopted = resolve));
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
    await this.adoption.adopt();
    this.markAdopted();
    this.timers.push(setInterval(() => void this.tick(), this.config.statusIntervalMs));
    this.timers.push(setInterval(() => void this.resync(), this.config.resyncIntervalMs));
    void this.resync();
  }

  /** Stops the loops; containers keep running under conmon for the next agent to adopt. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.podSync.stop();
  }

  /** Converge one pod with the API's view of it (BullMQ job, resync). */
  sync(cmd: SyncPodCommand): Promise<void> {
    return this.adopted.then(() => this.podSync.sync(cmd));
  }

  /** The pods this agent runs (tests, diagnostics, the stream endpoints, the metrics sampler). */
  known(): PodRecord[] {
    return this.records.all();
  }

  /** The 1 s loop: every pod not busy with a sync is converged from its cached object. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.podSync.convergeIdle();
    } catch (err) {
      this.log.warn(`status loop: ${errorMessage(err)}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Every 30 s: sync each pod the API places here, and each local pod the API no longer has. */
  async resync(): Promise<void> {
    if (this.stopped) return;
    await this.adoption.resync();
  }
}
