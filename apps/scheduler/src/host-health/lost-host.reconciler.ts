import { Inject, Injectable, Logger } from '@nestjs/common';
import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { EventRecorder, Informer, isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { SANDBOX_HOST } from '../placement/pod-resources';
import { isTerminal } from '../placement/pod-scheduling';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { RegisteredHost } from '../virtual-nodes/host-registry.repository';

/**
 * What the node lifecycle controller does for a node that stops reporting: its pods turn
 * not-Ready at once, and after the grace period they are Failed with reason NodeLost.
 */
@Injectable()
export class LostHostReconciler {
  private readonly log = new Logger(LostHostReconciler.name);
  private readonly pods: ResourceClient;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) client: KubeClient,
  ) {
    this.pods = client.resource({ group: '', version: 'v1', resource: 'pods', namespaced: true });
  }

  async reconcile(hosts: RegisteredHost[], informer: Informer, events: EventRecorder): Promise<void> {
    const stale = new Map(hosts.filter((h) => h.stale).map((h) => [h.hostId, h]));
    if (stale.size === 0) return;
    for (const pod of informer.list()) {
      const host = stale.get(pod.metadata.annotations?.[SANDBOX_HOST] ?? '');
      if (!host || isTerminal(pod) || pod.metadata.deletionTimestamp) continue;
      try {
        if (host.staleForMs >= this.config.hostLostGraceSeconds * 1000) await this.fail(pod, host, events);
        else await this.markNotReady(pod, host);
      } catch (err) {
        if (!isNotFound(err)) this.log.warn(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(err as Error).message}`);
      }
    }
  }

  private async markNotReady(pod: KubeObject, host: RegisteredHost): Promise<void> {
    const conditions = conditionsOf(pod);
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready && ready.status === 'False' && ready.reason === 'NodeLost') return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const message = `Sandbox host ${host.hostId} stopped reporting`;
    const next = conditions
      .filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady')
      .concat(['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False', reason: 'NodeLost', message, lastProbeTime: null, lastTransitionTime: now })));
    await this.pods.patchStatus(pod.metadata.namespace, pod.metadata.name!, { status: { conditions: next } }, 'merge', { fieldManager: 'skiff-scheduler' });
  }

  private async fail(pod: KubeObject, host: RegisteredHost, events: EventRecorder): Promise<void> {
    const message = `Sandbox host ${host.hostId} which was running the pod is unresponsive`;
    await this.pods.patchStatus(pod.metadata.namespace, pod.metadata.name!, { status: { phase: 'Failed', reason: 'NodeLost', message } }, 'merge', { fieldManager: 'skiff-scheduler' });
    events.record(pod, 'Warning', 'NodeLost', message);
  }
}

function conditionsOf(pod: KubeObject): Record<string, unknown>[] {
  const status = isJsonObject(pod.status) ? pod.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
}
