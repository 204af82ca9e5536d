import { Injectable } from '@nestjs/common';
import {
  Controller,
  ControllerContext,
  Informer,
  objectKey,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  PODS,
  splitKey,
  STORAGE_CLASSES,
  TerminalReconcileError,
} from '@skiff/controller-runtime';
import { ignoreNotFound } from '@skiff/kube-client';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@skiff/kube-types';
import { podClaimNames } from '@skiff/messaging';
import { isPodTerminated } from './pod-claims';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
} from './storage-annotations';
import { ClaimPhase, patchClaim, patchVolume, writeClaimStatus, writeVolumePhase } from './storage-writes';
import {
  claimClassOf,
  claimRefOf,
  defaultClassOf,
  findBestMatch,
  isDelayBinding,
  isVolumeBoundToClaim,
  volumeMismatch,
  volumeModeMismatch,
} from './volume-matching';

const CLAIM = 'claim:';
const VOLUME = 'volume:';

/**
 * Upstream's PersistentVolume binder (pkg/controller/volume/persistentvolume, pv_controller.go): binds claims to
 * volumes in both directions (pv.spec.claimRef first, then pvc.spec.volumeName), keeps both phases, gives claims
 * without a class the default StorageClass, asks the provisioner of a claim's class for a volume (the annotation
 * volume.kubernetes.io/storage-provisioner, which VolumeProvisioningReconciler answers) and reclaims released
 * volumes (Retain, Recycle; Delete is the provisioner's). Keys: `claim:<namespace>/<name>` and `volume:<name>`.
 */
@Injectable()
export class PersistentVolumeReconciler implements Controller {
  readonly name = 'persistentvolume-binder-controller';
  // One at a time, as upstream: two claims synced side by side could both pick the same volume.
  readonly workers = 1;
  private claims!: Informer<PersistentVolumeClaim>;
  private volumes!: Informer<PersistentVolume>;
  private classes!: Informer<StorageClass>;
  private pods!: Informer<Pod>;

  begin(ctx: ControllerContext): void {
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    this.volumes = ctx.informers.get<PersistentVolume>(PERSISTENT_VOLUMES);
    this.classes = ctx.informers.get<StorageClass>(STORAGE_CLASSES);
    this.pods = ctx.informers.get<Pod>(PODS);
    const unboundClaims = () => {
      for (const c of this.claims.list())
        if (!c.metadata.annotations?.[BIND_COMPLETED_ANNOTATION]) ctx.enqueue(CLAIM + objectKey(c));
    };
    for (const e of ['add', 'update'] as const) {
      this.claims.on(e, (claim) => ctx.enqueue(CLAIM + objectKey(claim)));
      this.volumes.on(e, (pv) => {
        ctx.enqueue(VOLUME + pv.metadata.name);
        // A volume that became free may be what a pending claim waits for (upstream waits for its resync).
        if (pv.status?.phase === 'Available' && !pv.spec.claimRef) unboundClaims();
      });
      this.classes.on(e, unboundClaims);
    }
    this.claims.on('delete', (claim) => {
      for (const pv of this.volumes.list()) if (isVolumeBoundToClaim(pv, claim)) ctx.enqueue(VOLUME + pv.metadata.name);
    });
    this.volumes.on('delete', (pv) => {
      const ref = pv.spec.claimRef;
      if (ref) ctx.enqueue(`${CLAIM}${ref.namespace}/${ref.name}`);
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    if (key.startsWith(VOLUME)) return this.syncVolume(ctx, key.slice(VOLUME.length));
    const { namespace, name } = splitKey(key.slice(CLAIM.length));
    const claim = this.claims.get(namespace, name);
    if (!claim) return;
    if (claim.metadata.annotations?.[BIND_COMPLETED_ANNOTATION] === undefined) return this.syncUnboundClaim(ctx, claim);
    return this.syncBoundClaim(ctx, claim);
  }

  private async syncUnboundClaim(ctx: ControllerContext, claim: PersistentVolumeClaim): Promise<void> {
    const requested = claim.spec.volumeName;
    if (requested) return this.syncPreboundClaim(ctx, claim, requested);
    const storageClass = this.classes.get(undefined, claimClassOf(claim));
    const delayBinding = isDelayBinding(storageClass);
    const pv = findBestMatch(claim, this.volumes.list(), delayBinding);
    if (pv) return this.bind(ctx, pv, claim);
    // Retroactive default class: a claim made before any class was default gets it now (its update comes back here).
    const defaultClass = claim.spec.storageClassName === undefined ? defaultClassOf(this.classes.list()) : undefined;
    if (defaultClass) {
      await patchClaim(ctx, claim, { spec: { storageClassName: defaultClass.metadata.name } });
      return;
    }
    if (delayBinding && !claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) {
      this.waitForFirstConsumer(ctx, claim);
    } else if (claimClassOf(claim)) {
      return this.provisionClaim(ctx, claim, storageClass);
    } else {
      const message = 'no persistent volumes available for this claim and no storage class is set';
      void ctx.events.record(claim, 'Normal', 'FailedBinding', message);
    }
    await writeClaimStatus(ctx, claim, 'Pending');
  }

  /** The user asked for a volume by name (spec.volumeName). */
  private async syncPreboundClaim(ctx: ControllerContext, claim: PersistentVolumeClaim, name: string): Promise<void> {
    const pv = this.volumes.get(undefined, name);
    if (!pv) {
      await writeClaimStatus(ctx, claim, 'Pending'); // until it is made
      return;
    }
    if (!pv.spec.claimRef) {
      const mismatch = volumeMismatch(pv, claim);
      if (!mismatch) return this.bind(ctx, pv, claim);
      void ctx.events.record(
        claim,
        'Warning',
        'VolumeMismatch',
        `Cannot bind to requested volume "${name}": ${mismatch}`,
      );
      await writeClaimStatus(ctx, claim, 'Pending');
      return;
    }
    if (isVolumeBoundToClaim(pv, claim)) return this.bind(ctx, pv, claim);
    void ctx.events.record(claim, 'Warning', 'FailedBinding', `volume "${name}" already bound to a different claim.`);
    if (!claim.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION]) {
      await writeClaimStatus(ctx, claim, 'Pending'); // the user's choice: wait for the volume to be free
      return;
    }
    const other = `${pv.spec.claimRef.namespace}/${pv.spec.claimRef.name}`;
    throw new TerminalReconcileError(
      `invalid binding of claim "${objectKey(claim)}" to volume "${name}": volume already claimed by "${other}"`,
    );
  }

  private async syncBoundClaim(ctx: ControllerContext, claim: PersistentVolumeClaim): Promise<void> {
    const name = claim.spec.volumeName;
    if (!name) {
      const message = 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!';
      return this.claimPhaseWithEvent(ctx, claim, 'Lost', 'ClaimLost', message);
    }
    const pv = this.volumes.get(undefined, name);
    if (!pv) {
      const message = 'Bound claim has lost its PersistentVolume. Data on the volume is lost!';
      return this.claimPhaseWithEvent(ctx, claim, 'Lost', 'ClaimLost', message);
    }
    // Bound (or the volume's side not written yet): bind() completes whatever is missing.
    if (!pv.spec.claimRef || pv.spec.claimRef.uid === claim.metadata.uid) return this.bind(ctx, pv, claim);
    const message = 'Two claims are bound to the same volume, this one is bound incorrectly';
    return this.claimPhaseWithEvent(ctx, claim, 'Lost', 'ClaimMisbound', message);
  }

  private async syncVolume(ctx: ControllerContext, name: string): Promise<void> {
    let pv = this.volumes.get(undefined, name);
    if (!pv) return;
    const ref = pv.spec.claimRef;
    if (!ref?.uid) {
      // Unused, or reserved for a claim (pre-bound) whose own sync binds it.
      await writeVolumePhase(ctx, pv, 'Available');
      return;
    }
    const claim = await this.claimOf(ctx, pv);
    if (!claim) {
      if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed')
        pv = await writeVolumePhase(ctx, pv, 'Released');
      return this.reclaim(ctx, pv);
    }
    if (!claim.spec.volumeName) {
      if (volumeModeMismatch(claim, pv)) {
        const volumeMessage = `Cannot bind PersistentVolume to requested PersistentVolumeClaim "${claim.metadata.name}" due to incompatible volumeMode.`;
        const claimMessage = `Cannot bind PersistentVolume "${name}" to requested PersistentVolumeClaim due to incompatible volumeMode.`;
        void ctx.events.record(pv, 'Warning', 'VolumeMismatch', volumeMessage);
        void ctx.events.record(claim, 'Warning', 'VolumeMismatch', claimMessage);
        return;
      }
      // The volume's side is written (by a provisioner, or an earlier pass): the claim's sync finishes the binding.
      ctx.enqueue(CLAIM + objectKey(claim));
      return;
    }
    if (claim.spec.volumeName === name) {
      await writeVolumePhase(ctx, pv, 'Bound');
      return;
    }
    // The claim is bound to another volume.
    if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] && pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
      // Provisioned for it but not needed: release it for deletion.
      if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed')
        pv = await writeVolumePhase(ctx, pv, 'Released');
      return this.reclaim(ctx, pv);
    }
    return this.unbindVolume(ctx, pv);
  }

  /**
   * The claim a volume's claimRef names, if it is still that claim (same uid). A claim missing from the cache or
   * with another uid is looked up in the API first: a lagging cache must not release a volume in use.
   */
  private async claimOf(ctx: ControllerContext, pv: PersistentVolume): Promise<PersistentVolumeClaim | undefined> {
    const ref = pv.spec.claimRef!;
    let claim = this.claims.get(ref.namespace, ref.name!);
    const settled = pv.status?.phase === 'Released' || pv.status?.phase === 'Failed';
    if ((!claim && !settled) || (claim && claim.metadata.uid !== ref.uid)) {
      const api = ctx.client.resource<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
      claim = await api.get(ref.namespace, ref.name!).catch(ignoreNotFound);
    }
    return claim?.metadata.uid === ref.uid ? claim : undefined;
  }

  /** The reclaim policy of a released volume. */
  private async reclaim(ctx: ControllerContext, pv: PersistentVolume): Promise<void> {
    const policy = pv.spec.persistentVolumeReclaimPolicy;
    if (policy === 'Retain') return;
    if (policy === 'Recycle') {
      // Upstream recycles only NFS and hostPath volumes with a scrubber pod; Skiff has no recycler.
      const message = 'No recycler plugin found for the volume!';
      return this.volumePhaseWithEvent(ctx, pv, 'Failed', 'VolumeFailedRecycle', message);
    }
    if (policy === 'Delete') {
      // Provisioned and CSI volumes are deleted by their provisioner (upstream's external deleter).
      if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] || pv.spec.csi) return;
      const message = `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`;
      return this.volumePhaseWithEvent(ctx, pv, 'Failed', 'VolumeFailedDelete', message);
    }
    const message = 'Volume has unrecognized PersistentVolumeReclaimPolicy';
    return this.volumePhaseWithEvent(ctx, pv, 'Failed', 'VolumeUnknownReclaimPolicy', message);
  }

  /** Both sides, volume first, each written only where it differs (upstream's bind). */
  private async bind(ctx: ControllerContext, pv: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    pv = await this.bindVolumeToClaim(ctx, pv, claim);
    pv = await writeVolumePhase(ctx, pv, 'Bound');
    claim = await this.bindClaimToVolume(ctx, claim, pv);
    await writeClaimStatus(ctx, claim, 'Bound', pv);
  }

  private async bindVolumeToClaim(
    ctx: ControllerContext,
    pv: PersistentVolume,
    claim: PersistentVolumeClaim,
  ): Promise<PersistentVolume> {
    // A volume the user pointed at the claim keeps saying so: no bound-by-controller.
    const byController = !isVolumeBoundToClaim(pv, claim) && !pv.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION];
    const ref = pv.spec.claimRef;
    const m = claim.metadata;
    const rebind = !ref || ref.name !== m.name || ref.namespace !== m.namespace || ref.uid !== m.uid;
    if (!rebind && !byController) return pv;
    return patchVolume(ctx, pv, {
      ...(byController ? { metadata: { annotations: { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } } } : {}),
      ...(rebind ? { spec: { claimRef: claimRefOf(claim) } } : {}),
    });
  }

  private async bindClaimToVolume(
    ctx: ControllerContext,
    claim: PersistentVolumeClaim,
    pv: PersistentVolume,
  ): Promise<PersistentVolumeClaim> {
    const annotations: Record<string, string> = {};
    const rebind = claim.spec.volumeName !== pv.metadata.name;
    if (rebind && !claim.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION])
      annotations[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
    if (!claim.metadata.annotations?.[BIND_COMPLETED_ANNOTATION]) annotations[BIND_COMPLETED_ANNOTATION] = 'yes';
    if (!rebind && Object.keys(annotations).length === 0) return claim;
    return patchClaim(ctx, claim, {
      metadata: { annotations },
      ...(rebind ? { spec: { volumeName: pv.metadata.name } } : {}),
    });
  }

  /** Rolls back a binding the claim did not keep: the controller's is removed, a user's pre-binding loses its uid. */
  private async unbindVolume(ctx: ControllerContext, pv: PersistentVolume): Promise<void> {
    const patch = pv.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION]
      ? { metadata: { annotations: { [BOUND_BY_CONTROLLER_ANNOTATION]: null } }, spec: { claimRef: null } }
      : { spec: { claimRef: { uid: null } } };
    await writeVolumePhase(ctx, await patchVolume(ctx, pv, patch), 'Available');
  }

  /** Names the class's provisioner on the claim; VolumeProvisioningReconciler (or an admin) makes the volume. */
  private async provisionClaim(
    ctx: ControllerContext,
    claim: PersistentVolumeClaim,
    storageClass: StorageClass | undefined,
  ): Promise<void> {
    if (!storageClass) {
      const message = `storageclass.storage.k8s.io "${claimClassOf(claim)}" not found`;
      void ctx.events.record(claim, 'Warning', 'ProvisioningFailed', message);
      return;
    }
    const provisioner = storageClass.provisioner;
    const a = claim.metadata.annotations ?? {};
    if (a[STORAGE_PROVISIONER_ANNOTATION] !== provisioner || a[BETA_STORAGE_PROVISIONER_ANNOTATION] !== provisioner) {
      const annotations = {
        [STORAGE_PROVISIONER_ANNOTATION]: provisioner,
        [BETA_STORAGE_PROVISIONER_ANNOTATION]: provisioner,
      };
      claim = await patchClaim(ctx, claim, { metadata: { annotations } });
    }
    const message =
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the ` +
      'system administrator. If volume creation is delayed, please verify that the provisioner is running and ' +
      'correctly registered.';
    void ctx.events.record(claim, 'Normal', 'ExternalProvisioning', message);
  }

  /**
   * A WaitForFirstConsumer claim waits for volume.kubernetes.io/selected-node. Upstream kube-scheduler's
   * VolumeBinding plugin sets it when it picks a node for the first pod that uses the claim; in Skiff the
   * scheduler's pod placement sets it (the virtual node's name) and waits for the claim to be Bound.
   */
  private waitForFirstConsumer(ctx: ControllerContext, claim: PersistentVolumeClaim): void {
    const waiting = this.pods
      .list()
      .filter((p) => p.metadata.namespace === claim.metadata.namespace && !isPodTerminated(p) && !p.spec.nodeName)
      .filter((p) => podClaimNames(p).includes(claim.metadata.name!))
      .map((p) => p.metadata.name!);
    if (waiting.length === 0) {
      const message = 'waiting for first consumer to be created before binding';
      void ctx.events.record(claim, 'Normal', 'WaitForFirstConsumer', message);
      return;
    }
    const message = `waiting for ${waiting.length > 1 ? 'pods' : 'pod'} ${waiting.join(',')} to be scheduled`;
    void ctx.events.record(claim, 'Normal', 'WaitForPodScheduled', message);
  }

  private async claimPhaseWithEvent(
    ctx: ControllerContext,
    claim: PersistentVolumeClaim,
    phase: ClaimPhase,
    reason: string,
    message: string,
  ): Promise<void> {
    if (claim.status?.phase === phase) return; // the event goes with the change, not with every sync
    await writeClaimStatus(ctx, claim, phase);
    void ctx.events.record(claim, 'Warning', reason, message);
  }

  private async volumePhaseWithEvent(
    ctx: ControllerContext,
    pv: PersistentVolume,
    phase: 'Failed',
    reason: string,
    message: string,
  ): Promise<void> {
    if (pv.status?.phase === phase) return;
    await writeVolumePhase(ctx, pv, phase, message);
    void ctx.events.record(pv, 'Warning', reason, message);
  }
}
