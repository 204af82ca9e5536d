import { Injectable } from '@nestjs/common';
import { Controller, ControllerContext, Informer, PERSISTENT_VOLUMES } from '@skiff/controller-runtime';
import type { PersistentVolume } from '@skiff/kube-types';
import { PV_PROTECTION_FINALIZER } from './storage-annotations';
import { patchVolume } from './storage-writes';

/**
 * Upstream's pv-protection controller (pkg/controller/volume/pvprotection): every PV carries the finalizer
 * kubernetes.io/pv-protection (Skiff's API server does not add it on create, so this does), and a deleted PV keeps
 * it while it is Bound to a claim. Keys: the PV's name.
 */
@Injectable()
export class PvProtectionReconciler implements Controller {
  readonly name = 'pv-protection-controller';
  readonly workers = 4;
  private volumes!: Informer<PersistentVolume>;

  begin(ctx: ControllerContext): void {
    this.volumes = ctx.informers.get<PersistentVolume>(PERSISTENT_VOLUMES);
    for (const e of ['add', 'update'] as const) this.volumes.on(e, (pv) => ctx.enqueue(pv.metadata.name!));
  }

  async reconcile(ctx: ControllerContext, name: string): Promise<void> {
    const pv = this.volumes.get(undefined, name);
    if (!pv) return;
    const finalizers = pv.metadata.finalizers ?? [];
    const held = finalizers.includes(PV_PROTECTION_FINALIZER);
    if (!pv.metadata.deletionTimestamp) {
      if (!held) await patchVolume(ctx, pv, { metadata: { finalizers: [...finalizers, PV_PROTECTION_FINALIZER] } });
      return;
    }
    if (held && pv.status?.phase !== 'Bound')
      await patchVolume(ctx, pv, { metadata: { finalizers: finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER) } });
  }
}
