import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { EventRecorder, Informer, isAlreadyExists, KubeClient, LeaderElector } from '@skiff/kube-client';
import { ControllerContext, WORKLOAD_CONTROLLERS, WorkloadController } from '../controllers/controller';
import { PODS } from '../controllers/resources';
import { SharedInformers } from '../controllers/shared-informers';
import { WorkQueue } from '../controllers/work-queue';
import { LostHostReconciler } from '../host-health/lost-host.reconciler';
import { PodPlacementReconciler } from '../placement/pod-placement.reconciler';
import { podKey } from '../placement/pod-scheduling';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { runtimeClassObjects } from '../runtime-classes/runtime-classes';
import { HostRegistryRepository } from '../virtual-nodes/host-registry.repository';
import { VirtualNodeReconciler } from '../virtual-nodes/virtual-node.reconciler';

const NODE_SYNC_MS = 5_000;
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
  private running?: { informers: SharedInformers; queues: WorkQueue[]; timer: NodeJS.Timeout };

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) private readonly client: KubeClient,
    private readonly hosts: HostRegistryRepository,
    private readonly nodes: VirtualNodeReconciler,
    private readonly placement: PodPlacementReconciler,
    private readonly lostHosts: LostHostReconciler,
    @Inject(WORKLOAD_CONTROLLERS) private readonly controllers: WorkloadController[],
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
    const informers = new SharedInformers(this.client);
    const pods = informers.get(PODS);
    const placement = new WorkQueue('pod-placement', (key) => this.placement.reconcile(key, pods, events), PLACEMENT_WORKERS);
    const enqueue = (pod: KubeObject): void => placement.add(podKey(pod));
    pods.on('add', enqueue);
    pods.on('update', enqueue);
    pods.on('delete', (pod: KubeObject) => void this.placement.podGone(pod).catch((err: unknown) => this.log.warn(`teardown of ${podKey(pod)}: ${String(err)}`)));
    const queues = [placement, ...this.controllers.map((c) => this.begin(c, informers, events))];
    const timer = setInterval(() => void this.syncNodes(pods, events), NODE_SYNC_MS);
    this.running = { informers, queues, timer };
    await this.syncNodes(pods, events);
    informers.start();
  }

  /** Starts one workload controller for this term; its reconciles wait for every cache to list. */
  private begin(controller: WorkloadController, informers: SharedInformers, events: EventRecorder): WorkQueue {
    const queue: WorkQueue = new WorkQueue(controller.name, (key) => informers.synced().then(() => controller.reconcile(ctx, key)), controller.workers);
    const ctx: ControllerContext = {
      client: this.client,
      informers,
      events,
      enqueue: (key) => queue.add(key),
      enqueueAfter: (key, ms) => queue.addAfter(key, ms),
    };
    controller.begin(ctx);
    return queue;
  }

  private standDown(): void {
    if (!this.running) return;
    this.log.log(`${this.config.identity} stopped leading`);
    clearInterval(this.running.timer);
    for (const queue of this.running.queues) queue.stop();
    void this.running.informers.stop();
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
