import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { EventRecorder, Informer, isAlreadyExists, KubeClient, LeaderElector } from '@skiff/kube-client';
import { WorkQueue } from '../controllers/work-queue';
import { LostHostReconciler } from '../host-health/lost-host.reconciler';
import { PodPlacementReconciler } from '../placement/pod-placement.reconciler';
import { podKey } from '../placement/pod-scheduling';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { runtimeClassObjects } from '../runtime-classes/runtime-classes';
import { HostRegistryRepository } from '../virtual-nodes/host-registry.repository';
import { VirtualNodeReconciler } from '../virtual-nodes/virtual-node.reconciler';

const NODE_SYNC_MS = 5_000;
const POD_RESYNC_MS = 30_000;
// Placements run side by side (a burst is bound by API round-trips); the reconciler assumes before it binds.
const PLACEMENT_WORKERS = 8;

/**
 * Runs the scheduler's controllers while this replica holds the `skiff-scheduler` Lease, and
 * stops them the moment it loses it: replicas are safe together.
 */
@Injectable()
export class SchedulerControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('scheduler');
  private readonly elector: LeaderElector;
  private running?: { informer: Informer; queue: WorkQueue; timer: NodeJS.Timeout };

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) private readonly client: KubeClient,
    private readonly hosts: HostRegistryRepository,
    private readonly nodes: VirtualNodeReconciler,
    private readonly placement: PodPlacementReconciler,
    private readonly lostHosts: LostHostReconciler,
  ) {
    this.elector = new LeaderElector(client, { namespace: 'kube-system', name: 'skiff-scheduler', identity: config.identity, leaseDurationSeconds: 15 });
  }

  onApplicationBootstrap(): void {
    void this.elector.run({
      onStartedLeading: () => void this.lead().catch((err: unknown) => this.log.error(`cannot start controllers: ${String(err)}`)),
      onStoppedLeading: () => this.standDown(),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.standDown();
    await this.elector.stop();
  }

  isLeading(): boolean {
    return this.running !== undefined;
  }

  private async lead(): Promise<void> {
    this.log.log(`${this.config.identity} is leading`);
    await this.ensureRuntimeClasses();
    const events = new EventRecorder(this.client, 'skiff-scheduler');
    const informer = new Informer(this.client.resource({ group: '', version: 'v1', resource: 'pods', namespaced: true }), { resyncMs: POD_RESYNC_MS });
    const queue = new WorkQueue('pod-placement', (key) => this.placement.reconcile(key, informer, events), PLACEMENT_WORKERS);
    const enqueue = (pod: KubeObject): void => queue.add(podKey(pod));
    informer.on('add', enqueue);
    informer.on('update', enqueue);
    informer.on('delete', (pod: KubeObject) => void this.placement.podGone(pod).catch((err: unknown) => this.log.warn(`teardown of ${podKey(pod)}: ${String(err)}`)));
    const timer = setInterval(() => void this.syncNodes(informer, events), NODE_SYNC_MS);
    this.running = { informer, queue, timer };
    await this.syncNodes(informer, events);
    await informer.start();
  }

  private standDown(): void {
    if (!this.running) return;
    this.log.log(`${this.config.identity} stopped leading`);
    clearInterval(this.running.timer);
    this.running.queue.stop();
    this.running.informer.stop();
    this.running = undefined;
  }

  private async syncNodes(informer: Informer, events: EventRecorder): Promise<void> {
    try {
      await this.nodes.reconcileAll();
      if (informer.hasSynced()) await this.lostHosts.reconcile(await this.hosts.list(), informer, events);
    } catch (err) {
      this.log.warn(`virtual node sync: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async ensureRuntimeClasses(): Promise<void> {
    const rc = this.client.resource({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', namespaced: false });
    for (const obj of runtimeClassObjects()) {
      try {
        await rc.create(undefined, obj, { fieldManager: 'skiff-scheduler' });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }
}
