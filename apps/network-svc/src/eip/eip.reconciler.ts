import { Inject, Injectable } from '@nestjs/common';
import {
  Controller,
  ControllerContext,
  ELASTIC_IPS,
  Informer,
  objectKey,
  PODS,
  ReconcileResult,
  splitKey,
} from '@skiff/controller-runtime';
import { ignoreAlreadyExists, ignoreNotFound } from '@skiff/kube-client';
import {
  ALLOCATED_EIP_ADDRESS_ANNOTATION,
  ALLOCATED_EIP_INSTANCE_ID_ANNOTATION,
  ECI_EIP_INSTANCE_ID_ANNOTATION,
  ECI_WITH_EIP_ANNOTATION,
  EIP_BANDWIDTH_ANNOTATION,
  Pod,
} from '@skiff/kube-types';
import { ServiceRules } from '@skiff/service-routing';
import { createHash } from 'node:crypto';
import { AddressPool, AddressPoolError } from '../edge/address-pool';
import { BandwidthLimit } from '../edge/edge-bandwidth';
import { EdgeContributor, EdgeDataPlane } from '../edge/edge-data-plane';
import { eipRules } from '../edge/edge-ruleset';
import { EIP_POOL } from '../edge/edge.providers';
import { DEFAULT_EIP_BANDWIDTH_MBPS, EIP_POD_UID_LABEL, ElasticIP } from './elastic-ip';

const OWNER = 'eip:';
const POD_KEY = 'pod:';
const RETRY_MS = 5_000;

/**
 * Elastic IPs of pods (ASK's `eci-with-eip`, `eci-eip-instanceid`): an ElasticIP holds an address of the EIP pool;
 * bound to a running pod, the edge DNATs it 1:1 to the pod and SNATs the pod's own connections to the internet side
 * to it. A pod's own EIP (`eci-with-eip`) is deleted with the pod; a bound existing one goes back to Available.
 * Keys: `pod:<namespace>/<name>` and the ElasticIP's name.
 */
@Injectable()
export class EipReconciler implements Controller, EdgeContributor {
  readonly name = 'eip-controller';
  // One at a time: binding checks which pod holds an EIP.
  readonly workers = 1;
  private pods!: Informer<Pod>;
  private eips!: Informer<ElasticIP>;

  constructor(
    private readonly dataPlane: EdgeDataPlane,
    @Inject(EIP_POOL) private readonly pool: AddressPool,
  ) {
    dataPlane.register(this);
  }

  begin(ctx: ControllerContext): void {
    this.pods = ctx.informers.get<Pod>(PODS);
    this.eips = ctx.informers.get<ElasticIP>(ELASTIC_IPS);
    for (const e of ['add', 'update', 'delete'] as const) {
      this.pods.on(e, (pod) => {
        if (wantsEip(pod) || pod.metadata.annotations?.[ALLOCATED_EIP_INSTANCE_ID_ANNOTATION])
          ctx.enqueue(POD_KEY + objectKey(pod));
        // Its own EIP goes with it, bound or not.
        if (pod.metadata.annotations?.[ECI_WITH_EIP_ANNOTATION] === 'true') ctx.enqueue(eipNameOf(pod));
      });
      this.eips.on(e, (eip) => {
        ctx.enqueue(eip.metadata.name!);
        if (eip.status?.pod) ctx.enqueue(POD_KEY + eip.status.pod);
      });
    }
  }

  prepare(): void {
    const held = this.eips
      .list()
      .filter((e) => e.status?.address)
      .map((e) => ({ owner: e.metadata.name!, address: e.status!.address! }));
    this.pool.seed('', held);
  }

  desiredRules(): Map<string, ServiceRules> {
    const out = new Map<string, ServiceRules>();
    for (const eip of this.eips.list()) {
      const pod = this.boundPod(eip);
      const address = this.pool.addressOf(eip.metadata.name!);
      if (pod?.status?.podIP && address) out.set(OWNER + eip.metadata.name, eipRules(address, pod.status.podIP));
    }
    return out;
  }

  desiredLimits(): Map<string, BandwidthLimit> {
    const out = new Map<string, BandwidthLimit>();
    for (const eip of this.eips.list()) {
      const pod = this.boundPod(eip);
      const address = this.pool.addressOf(eip.metadata.name!);
      if (pod?.status?.podIP && address) out.set(OWNER + eip.metadata.name, limitOf(eip, address, pod.status.podIP));
    }
    return out;
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    await this.dataPlane.ready(ctx.signal);
    if (key.startsWith(POD_KEY)) return this.reconcilePod(ctx, key.slice(POD_KEY.length));
    return this.reconcileEip(ctx, key);
  }

  /** A pod asking for an EIP gets it bound once it has an address; a pod that is done gives it back. */
  private async reconcilePod(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.get(namespace, name);
    const bound = this.eips.list().filter((e) => e.status?.pod === key);
    if (!pod || !wantsEip(pod) || isDone(pod)) {
      for (const eip of bound) await this.unbind(ctx, eip, pod);
      return;
    }
    const eipName = eipNameOf(pod);
    let eip = this.eips.get(undefined, eipName);
    if (!eip) {
      if (pod.metadata.annotations?.[ECI_EIP_INSTANCE_ID_ANNOTATION]) {
        void ctx.events.record(pod, 'Warning', 'EipNotFound', `ElasticIP ${eipName} does not exist`);
        return { requeueAfterMs: RETRY_MS };
      }
      eip = await this.createOwnEip(ctx, pod, eipName);
    }
    const holder = eip.status?.pod;
    if (holder && holder !== key && this.holderAlive(holder)) {
      void ctx.events.record(pod, 'Warning', 'EipInUse', `ElasticIP ${eipName} is bound to pod ${holder}`);
      return { requeueAfterMs: RETRY_MS };
    }
    const podIP = pod.status?.podIP;
    if (!podIP) return; // Bound when the pod has its address (its update comes back here).
    const address = await this.ensureAddress(ctx, eip);
    if (!address) return { requeueAfterMs: RETRY_MS };
    await this.dataPlane.set(OWNER + eipName, eipRules(address, podIP));
    await this.dataPlane.setLimit(OWNER + eipName, limitOf(eip, address, podIP));
    if (eip.status?.phase !== 'InUse' || eip.status.pod !== key || eip.status.podIP !== podIP) {
      await this.writeStatus(ctx, eipName, { address, phase: 'InUse', pod: key, podIP });
    }
    const a = pod.metadata.annotations ?? {};
    if (a[ALLOCATED_EIP_ADDRESS_ANNOTATION] !== address || a[ALLOCATED_EIP_INSTANCE_ID_ANNOTATION] !== eipName) {
      const annotations = {
        [ALLOCATED_EIP_ADDRESS_ANNOTATION]: address,
        [ALLOCATED_EIP_INSTANCE_ID_ANNOTATION]: eipName,
      };
      await ctx.client
        .resource<Pod>(PODS)
        .patch(namespace, name, { metadata: { annotations } }, 'merge')
        .catch(ignoreNotFound);
      void ctx.events.record(pod, 'Normal', 'EipBound', `ElasticIP ${eipName} (${address}) bound to the pod`);
    }
  }

  /** An ElasticIP gets its address when made, and gives it back when deleted. */
  private async reconcileEip(ctx: ControllerContext, name: string): Promise<void> {
    const eip = this.eips.get(undefined, name);
    if (!eip) {
      await this.dataPlane.set(OWNER + name, undefined);
      await this.dataPlane.setLimit(OWNER + name, undefined);
      this.pool.release(name);
      return;
    }
    const holder = eip.status?.pod;
    // A pod's own EIP whose pod is gone or done before it was ever bound.
    const uid = eip.metadata.labels?.[EIP_POD_UID_LABEL];
    if (uid && !holder && !this.pods.list().some((p) => p.metadata.uid === uid && !isDone(p))) {
      await ctx.client.resource(ELASTIC_IPS).delete(undefined, name).catch(ignoreNotFound);
      this.pool.release(name);
      return;
    }
    const address = await this.ensureAddress(ctx, eip);
    if (address && !eip.status?.phase && !holder) await this.writeStatus(ctx, name, { address, phase: 'Available' });
    // A pod it was bound to that is gone (deleted while network-svc was away): free it.
    if (holder && !this.holderAlive(holder)) await this.unbind(ctx, eip, undefined);
    // The pods that want it decide its binding (this pass may have seen an older status than theirs).
    for (const pod of this.pods.list())
      if (wantsEip(pod) && eipNameOf(pod) === name) ctx.enqueue(POD_KEY + objectKey(pod));
  }

  private async ensureAddress(ctx: ControllerContext, eip: ElasticIP): Promise<string | undefined> {
    const name = eip.metadata.name!;
    try {
      const address = this.pool.allocate(name, eip.status?.address ?? eip.spec?.address);
      if (eip.status?.address !== address) await this.writeStatus(ctx, name, { ...eip.status, address });
      return address;
    } catch (err) {
      if (!(err instanceof AddressPoolError)) throw err;
      if (eip.status?.phase !== 'Failed' || eip.status.message !== err.message)
        await this.writeStatus(ctx, name, { phase: 'Failed', message: err.message });
      void ctx.events.record(eip, 'Warning', 'AllocationFailed', err.message);
      return undefined;
    }
  }

  private async createOwnEip(ctx: ControllerContext, pod: Pod, name: string): Promise<ElasticIP> {
    const bandwidth = Number(pod.metadata.annotations?.[EIP_BANDWIDTH_ANNOTATION] ?? DEFAULT_EIP_BANDWIDTH_MBPS);
    const eip: ElasticIP = {
      apiVersion: 'network.skiff.io/v1alpha1',
      kind: 'ElasticIP',
      metadata: { name, labels: { [EIP_POD_UID_LABEL]: pod.metadata.uid! } },
      spec: {
        ...(Number.isInteger(bandwidth) && bandwidth >= 1 ? { bandwidth } : { bandwidth: DEFAULT_EIP_BANDWIDTH_MBPS }),
      },
    };
    const api = ctx.client.resource<ElasticIP>(ELASTIC_IPS);
    return (await api.create(undefined, eip).catch(ignoreAlreadyExists)) ?? (await api.get(undefined, name));
  }

  /** Takes the EIP off its pod: a pod's own EIP is deleted, a bound existing one is Available again. */
  private async unbind(ctx: ControllerContext, eip: ElasticIP, pod: Pod | undefined): Promise<void> {
    const name = eip.metadata.name!;
    await this.dataPlane.set(OWNER + name, undefined);
    await this.dataPlane.setLimit(OWNER + name, undefined);
    if (eip.metadata.labels?.[EIP_POD_UID_LABEL]) {
      await ctx.client.resource(ELASTIC_IPS).delete(undefined, name).catch(ignoreNotFound);
      this.pool.release(name);
      return;
    }
    await this.writeStatus(ctx, name, { address: eip.status?.address, phase: 'Available' });
    if (pod) void ctx.events.record(pod, 'Normal', 'EipUnbound', `ElasticIP ${name} released`);
  }

  private async writeStatus(ctx: ControllerContext, name: string, status: ElasticIP['status']): Promise<void> {
    // A merge patch with every field: the ones left out are removed (null), so no stale pod stays behind.
    const full = { address: null, phase: null, pod: null, podIP: null, message: null, ...status };
    await ctx.client
      .resource<ElasticIP>(ELASTIC_IPS)
      .patchStatus(undefined, name, { status: full }, 'merge')
      .catch(ignoreNotFound);
  }

  private boundPod(eip: ElasticIP): Pod | undefined {
    const holder = eip.status?.pod;
    if (!holder || eip.status?.phase !== 'InUse') return undefined;
    const { namespace, name } = splitKey(holder);
    const pod = this.pods.get(namespace, name);
    return pod && wantsEip(pod) && !isDone(pod) && eipNameOf(pod) === eip.metadata.name ? pod : undefined;
  }

  private holderAlive(holder: string): boolean {
    const { namespace, name } = splitKey(holder);
    const pod = this.pods.get(namespace, name);
    return !!pod && wantsEip(pod) && !isDone(pod);
  }
}

function wantsEip(pod: Pod): boolean {
  const a = pod.metadata.annotations ?? {};
  return a[ECI_WITH_EIP_ANNOTATION] === 'true' || !!a[ECI_EIP_INSTANCE_ID_ANNOTATION];
}

function isDone(pod: Pod): boolean {
  return !!pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The EIP a pod binds (`eci-eip-instanceid`), or its own, named after its uid so a retry finds the same one. */
function eipNameOf(pod: Pod): string {
  const bound = pod.metadata.annotations?.[ECI_EIP_INSTANCE_ID_ANNOTATION];
  if (bound) return bound;
  return `eip-${createHash('sha256').update(pod.metadata.uid!).digest('hex').slice(0, 21)}`;
}

/** The EIP's bandwidth both ways, for connections to it and the pod's own through it. */
function limitOf(eip: ElasticIP, address: string, podIp: string): BandwidthLimit {
  return { address, podIp, mbit: eip.spec?.bandwidth ?? DEFAULT_EIP_BANDWIDTH_MBPS };
}
