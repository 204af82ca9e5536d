import { Logger } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { KubeClient } from '@skiff/kube-client';
import { Controller, ControllerContext } from './controller';
import { installCustomResourceDefinitions } from './crd-installer';
import { EventRecorder } from './event-recorder';
import { LeaderElector } from './leader-elector';
import { SharedInformers } from './shared-informers';
import { ReconcileResult, WorkQueue } from './work-queue';

export interface ControllerManagerOptions {
  /** This replica's name in the Lease (holderIdentity). */
  identity: string;
  /** The Lease replicas compete for, e.g. kube-system/skiff-scheduler. */
  lease: { namespace: string; name: string; durationSeconds?: number };
  /** Events' `source.component` / `reportingController`. */
  component: string;
  controllers: readonly Controller[];
  /** CRDs the service brings (its controllers' caches list them): created, if missing, before leading. */
  crds?: readonly KubeObject[];
}

interface Term {
  abort: AbortController;
  informers: SharedInformers;
  queues: WorkQueue[];
}

/**
 * controller-runtime's manager: runs a set of controllers while this replica holds a Lease and
 * stops them the moment it loses it, so replicas are safe together. Each leadership term gets
 * fresh shared informers, one work queue per controller and an event recorder; no reconcile
 * runs until every informer of the term has listed.
 */
export class ControllerManager {
  private readonly log: Logger;
  private readonly elector: LeaderElector;
  private running?: Term;
  private previousTerm: Promise<void> = Promise.resolve();
  private installing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: ControllerManagerOptions,
  ) {
    this.log = new Logger(options.component);
    const { namespace, name, durationSeconds = 15 } = options.lease;
    this.elector = new LeaderElector(client, {
      namespace,
      name,
      identity: options.identity,
      leaseDurationSeconds: durationSeconds,
    });
  }

  start(): void {
    this.installing = installCustomResourceDefinitions(
      this.client,
      this.options.crds ?? [],
      () => this.stopped,
      (m) => this.log.warn(m),
    ).then(() => {
      if (this.stopped) return;
      void this.elector.run({
        onStartedLeading: () =>
          void this.lead().catch((err: unknown) => this.log.error(`cannot start controllers: ${String(err)}`)),
        onStoppedLeading: () => this.standDown(),
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.installing;
    this.standDown();
    await this.elector.stop();
    await this.previousTerm;
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
    this.log.log(`${this.options.identity} is leading`);
    const term: Term = { abort: new AbortController(), informers: new SharedInformers(this.client), queues: [] };
    this.running = term;
    await this.previousTerm;
    if (term.abort.signal.aborted) return;
    const events = new EventRecorder(this.client, this.options.component);
    term.queues.push(...this.options.controllers.map((c) => this.begin(c, term, events)));
    term.informers.start();
  }

  /** Starts one controller for this term; its reconciles wait for every cache to list. */
  private begin(controller: Controller, term: Term, events: EventRecorder): WorkQueue {
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
    this.log.log(`${this.options.identity} stopped leading`);
    this.running = undefined;
    term.abort.abort();
    this.previousTerm = Promise.all(term.queues.map((q) => q.stop())).then(() => term.informers.stop());
  }
}
