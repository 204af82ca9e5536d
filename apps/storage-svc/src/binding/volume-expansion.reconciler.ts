import { Inject, Injectable } from '@nestjs/common';
import { Clock, errorMessage, metaTime } from '@skiff/api-machinery';
import {
  Controller,
  ControllerContext,
  Informer,
  objectKey,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  splitKey,
  STORAGE_CLASSES,
} from '@skiff/controller-runtime';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/kube-types';
import { ProvisioningError } from './provisioning.error';
import { PROVISIONED_BY_ANNOTATION } from './storage-annotations';
import { patchClaim, patchVolume } from './storage-writes';
import { capacityBytes, claimClassOf, requestedBytes, storageBytes } from './volume-matching';
import { VOLUME_PROVISIONERS, VolumeProvisioner } from './volume-provisioner';

type ClaimCondition = NonNullable<NonNullable<PersistentVolumeClaim['status']>['conditions']>[number];

export const RESIZING_CONDITION = 'Resizing';
export const FILE_SYSTEM_RESIZE_PENDING_CONDITION = 'FileSystemResizePending';
const FILE_SYSTEM_RESIZE_PENDING_MESSAGE =
  'Waiting for user to (re-)start a pod to finish file system resize of volume on node.';

/**
 * Upstream's external-resizer for the backends in VOLUME_PROVISIONERS: a bound claim whose
 * spec.resources.requests.storage grew past status.capacity has its backing volume grown (condition Resizing),
 * then the PV's spec.capacity, and is left with condition FileSystemResizePending for the filesystem. Keys: the
 * claim's `<namespace>/<name>`.
 *
 * The filesystem is grown online by the sandbox agent of a host that mounts the claim (kubelet's NodeExpandVolume).
 * Its contract: when a mounted claim has FileSystemResizePending and its PV's spec.capacity.storage exceeds the
 * claim's status.capacity.storage, re-read the backing size (`losetup -c` for a disk image; nothing for NAS), grow
 * the filesystem (`resize2fs` on the mounted device), then merge-patch the claim's status subresource, with the
 * claim's resourceVersion: `capacity.storage` = the PV's spec.capacity.storage and `conditions` = the current ones
 * without FileSystemResizePending; and record a Normal `FileSystemResizeSuccessful` event on the claim,
 * `MountVolume.NodeExpandVolume succeeded for volume "<pv>" <host>` (on failure a Warning
 * `FileSystemResizeFailed`, and retry). A claim no pod mounts stays pending until one does, as upstream.
 */
@Injectable()
export class VolumeExpansionReconciler implements Controller {
  readonly name = 'external-resizer';
  readonly workers = 4;
  private claims!: Informer<PersistentVolumeClaim>;
  private volumes!: Informer<PersistentVolume>;
  private classes!: Informer<StorageClass>;
  // Requests (claim uid @ bytes) refused for good this term: retried once the user asks for another size.
  private refused = new Set<string>();

  constructor(
    @Inject(VOLUME_PROVISIONERS) private readonly provisioners: VolumeProvisioner[],
    private readonly clock: Clock,
  ) {}

  begin(ctx: ControllerContext): void {
    this.refused = new Set();
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    this.volumes = ctx.informers.get<PersistentVolume>(PERSISTENT_VOLUMES);
    this.classes = ctx.informers.get<StorageClass>(STORAGE_CLASSES);
    for (const e of ['add', 'update'] as const) {
      this.claims.on(e, (claim) => ctx.enqueue(objectKey(claim)));
      this.volumes.on(e, (pv) => {
        const ref = pv.spec.claimRef;
        if (ref?.uid) ctx.enqueue(`${ref.namespace}/${ref.name}`);
      });
    }
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    let claim = this.claims.get(namespace, name);
    if (!claim || claim.status?.phase !== 'Bound' || !claim.spec.volumeName) return;
    const requested = requestedBytes(claim);
    if (requested <= storageBytes(claim.status.capacity?.storage)) return;
    const pv = this.volumes.get(undefined, claim.spec.volumeName);
    if (!pv || pv.spec.claimRef?.uid !== claim.metadata.uid) return;
    const resizer = pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION];
    const provisioner = this.provisioners.find((p) => resizer !== undefined && p.names.includes(resizer));
    if (!provisioner) return; // a volume no backend here made (static, or another driver's)

    if (capacityBytes(pv) >= requested) {
      // The backing volume has grown (maybe in a pass that stopped short of the condition).
      if (!hasCondition(claim, FILE_SYSTEM_RESIZE_PENDING_CONDITION)) await this.fileSystemResizePending(ctx, claim);
      return;
    }
    const request = `${claim.metadata.uid}@${requested}`;
    if (this.refused.has(request)) return;
    if (!this.classes.get(undefined, claimClassOf(claim))?.allowVolumeExpansion) {
      // The API server's PersistentVolumeClaimResize admitted the growth when the class allowed it; it no longer does.
      const message =
        'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize';
      void ctx.events.record(claim, 'Warning', 'VolumeResizeFailed', message);
      this.refused.add(request);
      return;
    }

    if (!hasCondition(claim, RESIZING_CONDITION)) claim = await this.setResizeCondition(ctx, claim, RESIZING_CONDITION);
    void ctx.events.record(claim, 'Normal', 'Resizing', `External resizer is resizing volume ${pv.metadata.name}`);
    try {
      await provisioner.expand(pv, requested);
    } catch (err) {
      const message = `resize volume "${pv.metadata.name}" by resizer "${resizer}" failed: ${errorMessage(err)}`;
      void ctx.events.record(claim, 'Warning', 'VolumeResizeFailed', message);
      if (err instanceof ProvisioningError && !err.transient) {
        this.refused.add(request);
        return;
      }
      throw err;
    }
    await patchVolume(ctx, pv, { spec: { capacity: { storage: claim.spec.resources!.requests!.storage } } });
    await this.fileSystemResizePending(ctx, claim);
  }

  private async fileSystemResizePending(ctx: ControllerContext, claim: PersistentVolumeClaim): Promise<void> {
    claim = await this.setResizeCondition(ctx, claim, FILE_SYSTEM_RESIZE_PENDING_CONDITION);
    void ctx.events.record(claim, 'Normal', 'FileSystemResizeRequired', 'Require file system resize of volume on node');
  }

  /** Replaces the claim's resize condition (Resizing or FileSystemResizePending), keeping the others. */
  private setResizeCondition(
    ctx: ControllerContext,
    claim: PersistentVolumeClaim,
    type: string,
  ): Promise<PersistentVolumeClaim> {
    const others = (claim.status?.conditions ?? []).filter(
      (c) => c.type !== RESIZING_CONDITION && c.type !== FILE_SYSTEM_RESIZE_PENDING_CONDITION,
    );
    const condition: ClaimCondition = {
      type,
      status: 'True',
      lastTransitionTime: metaTime(this.clock.now()),
      ...(type === FILE_SYSTEM_RESIZE_PENDING_CONDITION ? { message: FILE_SYSTEM_RESIZE_PENDING_MESSAGE } : {}),
    };
    return patchClaim(ctx, claim, { status: { conditions: [...others, condition] } }, 'status');
  }
}

const hasCondition = (claim: PersistentVolumeClaim, type: string): boolean =>
  (claim.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
