import { Injectable } from '@nestjs/common';
import {
  Controller,
  ControllerContext,
  Informer,
  objectKey,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  splitKey,
} from '@skiff/controller-runtime';
import type { PersistentVolumeClaim, Pod } from '@skiff/kube-types';
import { podClaimNames } from '@skiff/messaging';
import { isPodTerminated } from './pod-claims';
import { PVC_PROTECTION_FINALIZER } from './storage-annotations';
import { patchClaim } from './storage-writes';

/**
 * Upstream's pvc-protection controller (pkg/controller/volume/pvcprotection): every claim carries the finalizer
 * kubernetes.io/pvc-protection (Skiff's API server does not add it on create, so this does), and a deleted claim
 * keeps it while a pod that is not terminated uses it. Keys: the claim's `<namespace>/<name>`.
 */
@Injectable()
export class PvcProtectionReconciler implements Controller {
  readonly name = 'pvc-protection-controller';
  readonly workers = 4;
  private claims!: Informer<PersistentVolumeClaim>;
  private pods!: Informer<Pod>;

  begin(ctx: ControllerContext): void {
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    this.pods = ctx.informers.get<Pod>(PODS);
    for (const e of ['add', 'update'] as const) this.claims.on(e, (claim) => ctx.enqueue(objectKey(claim)));
    // A pod that ends or goes may free the claims it used.
    for (const e of ['add', 'update', 'delete'] as const)
      this.pods.on(e, (pod) => {
        for (const claim of podClaimNames(pod)) ctx.enqueue(`${pod.metadata.namespace}/${claim}`);
      });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const claim = this.claims.get(namespace, name);
    if (!claim) return;
    const finalizers = claim.metadata.finalizers ?? [];
    const held = finalizers.includes(PVC_PROTECTION_FINALIZER);
    if (!claim.metadata.deletionTimestamp) {
      if (!held) await patchClaim(ctx, claim, { metadata: { finalizers: [...finalizers, PVC_PROTECTION_FINALIZER] } });
      return;
    }
    if (!held || this.inUse(claim, this.pods.list())) return;
    // The cache may not show a pod bound a moment ago yet: a live list decides before the claim goes.
    const live = await ctx.client.resource<Pod>(PODS).list(namespace);
    if (this.inUse(claim, live.items)) return;
    const rest = finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER);
    await patchClaim(ctx, claim, { metadata: { finalizers: rest } });
  }

  private inUse(claim: PersistentVolumeClaim, pods: readonly Pod[]): boolean {
    return pods.some(
      (pod) =>
        pod.metadata.namespace === claim.metadata.namespace &&
        podUsesClaim(pod, claim.metadata.name!) &&
        !isPodTerminated(pod),
    );
  }
}

/**
 * As upstream's podUsesPVC: only a scheduled pod counts (the scheduler does not place a pod whose claim is being
 * deleted), and not one that is shut down (deleted with grace period 0: done with its volumes, or force-deleted).
 */
function podUsesClaim(pod: Pod, claimName: string): boolean {
  const shutDown = !!pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0;
  return !!pod.spec.nodeName && !shutDown && podClaimNames(pod).includes(claimName);
}
