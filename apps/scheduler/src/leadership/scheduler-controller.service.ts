import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { EventRecorder, Informer, isAlreadyExists, KubeClient, LeaderElector } from '@skiff/kube-client';
import { ControllerContext, WORKLOAD_CONTROLLERS, WorkloadController } from '../controllers/controller';
import { PODS } from '../controllers/resources';
import { SharedInformers } from '../controllers/shared-informers';
import { ReconcileResult, WorkQueue } from '../controllers/work-queue';
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

interface Term {
  abort: AbortController;
  informers: SharedInformers;
  queues: WorkQueue[];
  timer?: NodeJS.Timeout;
}

/**
 * Runs the scheduler's controllers while this replica holds the `skiff-scheduler` Lease, and
 * stops them the moment it loses it: replicas are safe together.
 */
@Injectable()
export class SchedulerControllerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('scheduler');
  private readonly elector: LeaderElector;
  private running?: Term;
  private previousTerm: Promise<void> = Promise.resolve();

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

  /**
   * One leadership term. Its parts are set up before the first await, so a stand-down at any
   * point stops all of it; and it begins only once the previous term's reconciles have finished
   * (controllers keep per-term memory such as expectations).
   */
  private async lead(): Promise<void> {
    this.log.log(`${this.config.identity} is leading`);
    const term: Term = { abort: new AbortController(), informers: new SharedInformers(this.client), queues: [] };
    this.running = term;
    await this.previousTerm;
    if (term.abort.signal.aborted) return;
    const events = new EventRecorder(this.client, 'skiff-scheduler');
    const pods = term.informers.get(PODS);
    const placement = new WorkQueue('pod-placement', (key) => this.placement.reconcile(key, pods, events), PLACEMENT_WORKERS);
    const enqueue = (pod: KubeObject): void => placement.add(podKey(pod));
    pods.on('add', enqueue);
    pods.on('update', enqueue);
    pods.on('delete', (pod: KubeObject) => void this.placement.podGone(pod).catch((err: unknown) => this.log.warn(`teardown of ${podKey(pod)}: ${String(err)}`)));
    term.queues.push(placement, ...this.controllers.map((c) => this.begin(c, term, events)));
    term.timer = setInterval(() => void this.syncNodes(pods, events), NODE_SYNC_MS);
    term.informers.start();
    await this.syncNodes(pods, events);
  }

  /** Starts one workload controller for this term; its reconciles wait for every cache to list. */
  private begin(controller: WorkloadController, term: Term, events: EventRecorder): WorkQueue {
    const { informers, abort } = term;
    const reconcile = async (key: string): Promise<ReconcileResult | void> => {
      await informers.synced();
      if (!abort.signal.aborted) return controller.reconcile(ctx, key);
    };
    const queue = new WorkQueue(controller.name, reconcile, controller.workers);
    const ctx: ControllerContext = {
      client: this.client,
      informers,
      events,
      signal: abort.signal,
      enqueue: (key) => queue.add(key),
      enqueueAfter: (key, ms) => queue.addAfter(key, ms),
    };
    controller.begin(ctx);
    return queue;
  }

  private standDown(): void {
    const term = this.running;
    if (!term) return;
    this.log.log(`${this.config.identity} stopped leading`);
    this.running = undefined;
    term.abort.abort();
    clearInterval(term.timer);
    this.previousTerm = Promise.all(term.queues.map((q) => q.stop())).then(() => term.informers.stop());
  }

  private async syncNodes(informer: Informer, events: EventRecorder): Promise<void> {
    try {
      await this.nodes.reconcileAll();
      if (informer.hasSynced()) await this.lostHosts.reconcile(await this.hosts.list(), informer, events);
      await this.ensureRuntimeClasses();
    } catch (err) {
      this.log.warn(`virtual node sync: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Best effort: placement knows the handlers without these objects; they are for users (kubectl get runtimeclass).
  // Checked on every node sync, so a deleted one comes back as an addon manager's EnsureExists would.
  private async ensureRuntimeClasses(): Promise<void> {
    const rc = this.client.resource({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', namespaced: false });
    const existing = new Set((await rc.list()).items.map((o) => o.metadata.name));
    for (const obj of runtimeClassObjects().filter((o) => !existing.has(o.metadata.name))) {
      try {
        await rc.create(undefined, obj, { fieldManager: 'skiff-scheduler' });
      } catch (err) {
        if (!isAlreadyExists(err)) this.log.warn(`RuntimeClass ${obj.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
