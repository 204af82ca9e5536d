import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import {
  Controller,
  ControllerContext,
  EventRecorder,
  Informer,
  PODS,
  ReconcileResult,
} from '@skiff/controller-runtime';
import { isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { Pod, PodCondition, SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { isTerminal } from '../placement/pod-scheduling';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { HostRegistryRepository, RegisteredHost } from '../virtual-nodes/host-registry.repository';
import { NODE_SYNC_MS } from '../virtual-nodes/virtual-node.reconciler';
import { errorMessage } from '@skiff/api-machinery';

const HOSTS_KEY = 'sandbox-hosts';

/**
 * What the node lifecycle controller does for a node that stops reporting: its pods turn
 * not-Ready at once, and after the grace period they are Failed with reason NodeLost. One key,
 * looked at every NODE_SYNC_MS (host heartbeats live in Redis, not in an informer).
 */
@Injectable()
export class LostHostReconciler implements Controller {
  readonly name = 'lost-hosts';
  readonly workers = 1;
  private informer!: Informer<Pod>;
  private readonly log = new Logger(LostHostReconciler.name);
  private readonly pods: ResourceClient<Pod>;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) client: KubeClient,
    private readonly hosts: HostRegistryRepository,
  ) {
    this.pods = client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespaced: true });
  }

  begin(ctx: ControllerContext): void {
    this.informer = ctx.informers.get<Pod>(PODS);
    ctx.enqueue(HOSTS_KEY);
  }

  async reconcile(ctx: ControllerContext): Promise<ReconcileResult> {
    const again = { requeueAfterMs: NODE_SYNC_MS };
    const stale = new Map((await this.hosts.list()).filter((h) => h.stale).map((h) => [h.hostId, h]));
    if (stale.size === 0) return again;
    const events = ctx.events;
    for (const pod of this.informer.list()) {
      const host = stale.get(pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION] ?? '');
      if (!host || isTerminal(pod) || pod.metadata.deletionTimestamp) continue;
      try {
        if (host.staleForMs >= this.config.hostLostGraceSeconds * 1000) await this.fail(pod, host, events);
        else await this.markNotReady(pod, host);
      } catch (err) {
        if (!isNotFound(err)) this.log.warn(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${errorMessage(err)}`);
      }
    }
    return again;
  }

  private async markNotReady(pod: Pod, host: RegisteredHost): Promise<void> {
    const conditions = pod.status?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready && ready.status === 'False' && ready.reason === 'NodeLost') return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const message = `Sandbox host ${host.hostId} stopped reporting`;
    const next = conditions
      .filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady')
      .concat(
        ['Ready', 'ContainersReady'].map((type): PodCondition => ({
          type,
          status: 'False',
          reason: 'NodeLost',
          message,
          lastProbeTime: null,
          lastTransitionTime: now,
        })),
      );
    await this.pods.patchStatus(pod.metadata.namespace, pod.metadata.name!, { status: { conditions: next } }, 'merge', {
      fieldManager: 'skiff-scheduler',
    });
  }

  private async fail(pod: Pod, host: RegisteredHost, events: EventRecorder): Promise<void> {
    const message = `Sandbox host ${host.hostId} which was running the pod is unresponsive`;
    await this.pods.patchStatus(
      pod.metadata.namespace,
      pod.metadata.name!,
      { status: { phase: 'Failed', reason: 'NodeLost', message } },
      'merge',
      { fieldManager: 'skiff-scheduler' },
    );
    events.record(pod, 'Warning', 'NodeLost', message);
  }
}
