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
import { ignoreNotFound, isConflict, isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { claimNameOf, isPodOwnedClaimVolume } from '@skiff/messaging';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { RUNTIME_HANDLERS } from '../runtime-classes/runtime-classes';
import { HostRegistryRepository, RegisteredHost } from '../virtual-nodes/host-registry.repository';
import { virtualNodeName } from '../virtual-nodes/virtual-node';
import { chooseHost, HostLoad } from './host-placement';
import { add, eciSpecOf, formatInstanceSpec, podRequests } from './pod-resources';
import {
  ECI_INSTANCE_ID_ANNOTATION,
  ECI_INSTANCE_SPEC_ANNOTATION,
  PersistentVolumeClaim,
  Pod,
  SANDBOX_HOST_ANNOTATION,
  StorageClass,
} from '@skiff/kube-types';
import { eligibleZones, isTerminal, podKey } from './pod-scheduling';
import { SandboxQueueService } from './sandbox-queue.service';

const UNSCHEDULABLE_RETRY_MS = 10_000;
// Placements run side by side (a burst is bound by API round-trips); the reconciler assumes before it binds.
const PLACEMENT_WORKERS = 8;
// A binding shows up in the informer a moment later; until then its pod is "assumed" on the host.
const ASSUME_FOR_MS = 30_000;

interface Assumed {
  hostId: string;
  pod: Pod;
  until: number;
}

const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
// How often a pod waiting for its WaitForFirstConsumer claims looks again.
const VOLUME_WAIT_MS = 500;

/**
 * Schedules every pod onto a zone's virtual node and a sandbox host with room for it (one
 * pods/binding carrying the host and ECI annotations), then hands the host's agent a sync
 * command whenever the pod changes, and when it is gone.
 */
@Injectable()
export class PodPlacementReconciler implements Controller {
  readonly name = 'pod-placement';
  readonly workers = PLACEMENT_WORKERS;
  private readonly log = new Logger(PodPlacementReconciler.name);
  private readonly pods: ResourceClient<Pod>;
  private readonly claims: ResourceClient<PersistentVolumeClaim>;
  private readonly classes: ResourceClient<StorageClass>;
  private readonly assumed = new Map<string, Assumed>();
  /** Per pod key, the bound pod its agent was last told about and what (see agentView). */
  private readonly told = new Map<string, { uid: string; host: string; view: string }>();
  private informer!: Informer<Pod>;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) private readonly client: KubeClient,
    private readonly hosts: HostRegistryRepository,
    private readonly sandboxes: SandboxQueueService,
  ) {
    this.pods = client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespaced: true });
    this.claims = client.resource<PersistentVolumeClaim>({
      group: '',
      version: 'v1',
      resource: 'persistentvolumeclaims',
      namespaced: true,
    });
    this.classes = client.resource<StorageClass>({
      group: 'storage.k8s.io',
      version: 'v1',
      resource: 'storageclasses',
      namespaced: false,
    });
  }

  begin(ctx: ControllerContext): void {
    this.informer = ctx.informers.get<Pod>(PODS);
    const enqueue = (pod: Pod): void => ctx.enqueue(podKey(pod));
    this.informer.on('add', enqueue);
    this.informer.on('update', enqueue);
    this.informer.on('delete', enqueue);
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/');
    const pod = this.informer.get(namespace, name);
    const told = this.told.get(key);
    // Gone, or replaced by a pod of the same name: the old one's agent tears its sandbox down.
    if (told && told.uid !== pod?.metadata.uid) {
      await this.sandboxes.syncPod(told.host, { podUid: told.uid, namespace, name }, `${told.uid}-gone`);
      this.told.delete(key);
    }
    if (!pod) return;
    const host = pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION];
    if (pod.spec.nodeName) {
      if (!host) return;
      // The agent's own status reports come back here as updates: only what it acts on is worth a job.
      const view = agentView(pod);
      if (this.told.get(key)?.view === view) return;
      const resourceVersion = pod.metadata.resourceVersion!;
      await this.sandboxes.syncPod(
        host,
        { podUid: pod.metadata.uid!, namespace, name, resourceVersion },
        resourceVersion,
      );
      this.told.set(key, { uid: pod.metadata.uid!, host, view });
      return;
    }
    if (pod.metadata.deletionTimestamp) return;
    return this.schedule(pod, this.informer, ctx.events);
  }

  private async schedule(pod: Pod, informer: Informer<Pod>, events: EventRecorder): Promise<ReconcileResult | void> {
    const runtimeClass = pod.spec.runtimeClassName ?? this.config.defaultRuntimeClass;
    const handler = RUNTIME_HANDLERS[runtimeClass];
    if (!handler) return this.unschedulable(pod, events, `RuntimeClass "${runtimeClass}" not found`);
    const zones = eligibleZones(pod, this.config.zones);
    if (zones.length === 0)
      return this.unschedulable(
        pod,
        events,
        `0/${this.config.zones.length} nodes are available: ${this.config.zones.length} node(s) didn't match Pod's node affinity/selector.`,
      );
    const { problem: claimProblem, delayed } = await this.unboundClaims(pod);
    if (claimProblem)
      return this.unschedulable(pod, events, `0/${this.config.zones.length} nodes are available: ${claimProblem}.`);
    const need = podRequests(pod);
    const hosts = (await this.hosts.list()).filter((h) => !h.stale);
    const choice = chooseHost(this.loads(hosts, informer), need, zones, handler);
    if ('reason' in choice) return this.unschedulable(pod, events, choice.reason);
    const nodeName = virtualNodeName(choice.host.zone);
    if (delayed.length) return this.waitForVolumes(pod, delayed, nodeName);
    const size = eciSpecOf(pod) ?? need;
    // Assumed in the same turn as the choice, before the bind: reconciles running side by side see each
    // other's placements and cannot over-commit a host.
    this.assumed.set(pod.metadata.uid!, { hostId: choice.host.hostId, pod, until: Date.now() + ASSUME_FOR_MS });
    try {
      await this.client.request(
        'POST',
        `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`,
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: {
            name: pod.metadata.name,
            annotations: {
              [SANDBOX_HOST_ANNOTATION]: choice.host.hostId,
              [ECI_INSTANCE_ID_ANNOTATION]: `eci-${pod.metadata.uid!.replace(/-/g, '').slice(0, 20)}`,
              [ECI_INSTANCE_SPEC_ANNOTATION]: formatInstanceSpec(size),
            },
          },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      );
    } catch (err) {
      if (isConflict(err)) return; // bound meanwhile: the informer brings the news and replaces the assumption
      this.assumed.delete(pod.metadata.uid!);
      if (isNotFound(err)) return; // deleted meanwhile
      throw err;
    }
    events.record(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
    );
    // The agent starts at once rather than a watch round-trip later; the bound version's own job follows
    // from the informer (a no-op for the agent by then).
    await this.sandboxes.syncPod(
      choice.host.hostId,
      { podUid: pod.metadata.uid!, namespace: pod.metadata.namespace!, name: pod.metadata.name! },
      'bound',
    );
  }

  /**
   * Why the pod's claims keep it from running yet (a missing or unbound PersistentVolumeClaim), as kube-scheduler's
   * VolumeBinding says it; and its unbound claims of a WaitForFirstConsumer class, which wait for this pod's node.
   */
  private async unboundClaims(pod: Pod): Promise<{ problem?: string; delayed: PersistentVolumeClaim[] }> {
    const delayed: PersistentVolumeClaim[] = [];
    for (const v of pod.spec.volumes ?? []) {
      const claimName = claimNameOf(pod, v);
      if (claimName === undefined) continue;
      const podsOwn = isPodOwnedClaimVolume(v);
      try {
        const claim = await this.claims.get(pod.metadata.namespace, claimName);
        if (podsOwn && !claim.metadata.ownerReferences?.some((o) => o.controller && o.uid === pod.metadata.uid))
          return {
            problem: `PVC ${pod.metadata.namespace}/${claimName} was not created for pod ${pod.metadata.namespace}/${pod.metadata.name} (pod is not owner)`,
            delayed,
          };
        if (claim.metadata.deletionTimestamp)
          return { problem: `persistentvolumeclaim "${claimName}" is being deleted`, delayed };
        if (claim.status?.phase === 'Bound') continue;
        const className = claim.spec.storageClassName;
        const sc = className ? await this.classes.get(undefined, className).catch(ignoreNotFound) : undefined;
        if (sc?.volumeBindingMode !== 'WaitForFirstConsumer')
          return { problem: 'pod has unbound immediate PersistentVolumeClaims', delayed };
        delayed.push(claim);
      } catch (err) {
        if (isNotFound(err) && podsOwn)
          return {
            problem: `waiting for ephemeral volume controller to create the persistentvolumeclaim "${claimName}"`,
            delayed,
          };
        if (isNotFound(err)) return { problem: `persistentvolumeclaim "${claimName}" not found`, delayed };
        throw err;
      }
    }
    return { delayed };
  }

  /**
   * Upstream's VolumeBinding PreBind: the claims waiting for a first consumer are told this pod's node
   * (`volume.kubernetes.io/selected-node`, which storage-svc provisions for), and the pod is bound once they are.
   */
  private async waitForVolumes(pod: Pod, claims: PersistentVolumeClaim[], nodeName: string): Promise<ReconcileResult> {
    for (const c of claims) {
      if (c.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) continue;
      await this.claims
        .patch(
          c.metadata.namespace,
          c.metadata.name!,
          { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: nodeName } } },
          'merge',
        )
        .catch(ignoreNotFound);
    }
    this.assumed.delete(pod.metadata.uid!);
    return { requeueAfterMs: VOLUME_WAIT_MS };
  }

  private async unschedulable(pod: Pod, events: EventRecorder, message: string): Promise<ReconcileResult> {
    const conditions = pod.status?.conditions ?? [];
    const existing = conditions.find((c) => c.type === 'PodScheduled');
    if (!existing || existing.status !== 'False' || existing.message !== message) {
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const others = conditions.filter((c) => c.type !== 'PodScheduled');
      const cond = {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
        lastProbeTime: null,
        lastTransitionTime: existing?.status === 'False' ? existing.lastTransitionTime : now,
      };
      try {
        // From the pod as read (resourceVersion): a status written meanwhile (e.g. Succeeded) is not overwritten.
        const patch = {
          metadata: { resourceVersion: pod.metadata.resourceVersion },
          status: { conditions: [...others, cond] },
        };
        await this.pods.patchStatus(pod.metadata.namespace, pod.metadata.name!, patch, 'merge', {
          fieldManager: 'skiff-scheduler',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      events.record(pod, 'Warning', 'FailedScheduling', message);
    }
    return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
  }

  // What is already placed on each host: non-terminal pods carrying its annotation.
  private loads(hosts: RegisteredHost[], informer: Informer<Pod>): HostLoad[] {
    const byHost = new Map<string, HostLoad>(
      hosts.map((h) => [h.hostId, { host: h, used: { cpuMilli: 0, memoryBytes: 0 }, pods: 0 }]),
    );
    const counted = new Set<string>();
    const count = (hostId: string, pod: Pod): void => {
      const load = byHost.get(hostId);
      if (!load || isTerminal(pod)) return;
      load.used = add(load.used, podRequests(pod));
      load.pods += 1;
    };
    for (const pod of informer.list()) {
      const hostId = pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION];
      if (!hostId) continue;
      counted.add(pod.metadata.uid!);
      count(hostId, pod);
    }
    const now = Date.now();
    for (const [uid, a] of this.assumed) {
      if (counted.has(uid) || a.until < now) this.assumed.delete(uid);
      else count(a.hostId, a.pod);
    }
    return [...byHost.values()];
  }
}

/**
 * What a bound pod's agent acts on: spec, labels/annotations (downward API), deletion, and the
 * phase (e.g. Failed set by the lost-host reconciler); not the conditions and container statuses it
 * writes itself.
 */
function agentView(pod: Pod): string {
  const { labels, annotations, deletionTimestamp, deletionGracePeriodSeconds } = pod.metadata;
  return JSON.stringify([
    pod.spec,
    labels,
    annotations,
    deletionTimestamp,
    deletionGracePeriodSeconds,
    pod.status?.phase,
  ]);
}
