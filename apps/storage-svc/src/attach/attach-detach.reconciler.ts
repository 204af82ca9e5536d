import { Inject, Injectable } from '@nestjs/common';
import { isAlreadyExists, isConflict, isNotFound } from '@skiff/kube-client';
import { StorageSvcConfig } from '@skiff/config';
import {
  Controller,
  ControllerContext,
  Informer,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  PODS,
  VOLUME_ATTACHMENTS,
} from '@skiff/controller-runtime';
import {
  claimNameOf,
  DISK_CSI_DRIVER,
  DISK_ID_ANNOTATION,
  diskOfInlineVolume,
  diskOfPersistentVolume,
  volumeAttachmentName,
} from '@skiff/messaging';
import type { PersistentVolume, PersistentVolumeClaim, Pod, VolumeAttachment } from '@skiff/kube-types';
import { SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { isPodTerminated } from '../binding/pod-claims';
import { STORAGE_SVC_CONFIG } from '../platform/config.provider';

/** A pod's use of a disk: the host it is placed on and the volume's name as upstream's messages give it. */
interface DiskUse {
  pod: Pod;
  host: string;
  /** The PV's name for a claim, the pod volume's name for an inline disk (upstream's volume spec name). */
  specName: string;
  pvName?: string;
  fsType: string;
}

/**
 * Upstream's attach-detach controller for cloud disks, with sandbox hosts for nodes: a disk is attached to one host
 * at a time (ReadWriteOnce). When pods on some host need a disk that no host holds, it makes the disk's
 * VolumeAttachment for that host and marks it attached (the CSI attacher's part: attaching a loop device is the
 * host's). The agent there attaches only a disk attached to its host, and deletes the VolumeAttachment once it has
 * detached the disk after its last pod; a host that is gone cannot, so a disk no pod on its host has used for
 * `forceDetachAfterMs` is detached here. Pods on other hosts meanwhile get upstream's Multi-Attach error.
 * Keys: disk ids.
 */
@Injectable()
export class AttachDetachReconciler implements Controller {
  readonly name = 'attachdetach-controller';
  readonly workers = 2;
  private pods!: Informer<Pod>;
  private claims!: Informer<PersistentVolumeClaim>;
  private volumes!: Informer<PersistentVolume>;
  private attachments!: Informer<VolumeAttachment>;
  /** Since when a disk's host has had no pod using it (per term). */
  private readonly unusedSince = new Map<string, number>();

  constructor(@Inject(STORAGE_SVC_CONFIG) private readonly config: Pick<StorageSvcConfig, 'forceDetachAfterMs'>) {}

  begin(ctx: ControllerContext): void {
    this.pods = ctx.informers.get<Pod>(PODS);
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    this.volumes = ctx.informers.get<PersistentVolume>(PERSISTENT_VOLUMES);
    this.attachments = ctx.informers.get<VolumeAttachment>(VOLUME_ATTACHMENTS);
    this.unusedSince.clear();
    for (const e of ['add', 'update', 'delete'] as const) {
      this.pods.on(e, (pod) => {
        for (const use of this.disksOf(pod)) ctx.enqueue(use.diskId);
      });
      this.attachments.on(e, (va) => {
        const diskId = va.metadata.annotations?.[DISK_ID_ANNOTATION];
        if (diskId) ctx.enqueue(diskId);
      });
    }
    // A claim bound (or a volume appearing) after its pods were placed makes them disk users.
    for (const e of ['add', 'update'] as const) {
      this.claims.on(e, (claim) => {
        for (const pod of this.pods.list().filter((p) => p.metadata.namespace === claim.metadata.namespace))
          for (const use of this.disksOf(pod)) ctx.enqueue(use.diskId);
      });
      this.volumes.on(e, (pv) => {
        const disk = diskOfPersistentVolume(pv);
        if (disk) ctx.enqueue(disk.diskId);
      });
    }
  }

  async reconcile(ctx: ControllerContext, diskId: string): Promise<{ requeueAfterMs: number } | void> {
    const users = this.pods
      .list()
      .flatMap((pod) => this.disksOf(pod).filter((u) => u.diskId === diskId && this.usesNow(pod)));
    const attachments = this.attachments
      .list()
      .filter((va) => va.metadata.annotations?.[DISK_ID_ANNOTATION] === diskId);
    const holder = attachments
      .filter((va) => !va.metadata.deletionTimestamp)
      .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0];
    // A pod being deleted keeps its host's attachment but never needs a new one (its agent may have let go already).
    const wanting = users.filter((u) => !u.pod.metadata.deletionTimestamp);
    if (!holder) {
      this.unusedSince.delete(diskId);
      if (wanting.length === 0) return;
      // Still being detached somewhere: everyone waits for it.
      if (attachments.length > 0) return this.reportMultiAttach(ctx, wanting, []);
      const first = [...wanting].sort(byCreation)[0];
      await this.attach(ctx, diskId, first);
      return this.reportMultiAttach(
        ctx,
        wanting.filter((u) => u.host !== first.host),
        users.filter((u) => u.host === first.host),
      );
    }
    const host = holder.metadata.annotations?.[SANDBOX_HOST_ANNOTATION];
    const here = users.filter((u) => u.host === host);
    await this.reportMultiAttach(
      ctx,
      wanting.filter((u) => u.host !== host),
      here,
    );
    if (here.length > 0) {
      this.unusedSince.delete(diskId);
      if (holder.status?.attached !== true) await this.markAttached(ctx, holder);
      return;
    }
    const since = this.unusedSince.get(diskId) ?? Date.now();
    this.unusedSince.set(diskId, since);
    const left = since + this.config.forceDetachAfterMs - Date.now();
    if (left > 0) return { requeueAfterMs: left };
    // The host has not let go in time (gone, or its agent could not say so): detached by force, as upstream does.
    await ctx.client
      .resource<VolumeAttachment>(VOLUME_ATTACHMENTS)
      .delete(undefined, holder.metadata.name!, { preconditions: { uid: holder.metadata.uid } })
      .catch((err: unknown) => {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      });
    this.unusedSince.delete(diskId);
  }

  private async attach(ctx: ControllerContext, diskId: string, use: DiskUse): Promise<void> {
    const api = ctx.client.resource<VolumeAttachment>(VOLUME_ATTACHMENTS);
    const name = volumeAttachmentName(diskId, use.host);
    const va: VolumeAttachment = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name, annotations: { [DISK_ID_ANNOTATION]: diskId, [SANDBOX_HOST_ANNOTATION]: use.host } },
      spec: {
        attacher: DISK_CSI_DRIVER,
        nodeName: use.pod.spec.nodeName!,
        source: use.pvName
          ? { persistentVolumeName: use.pvName }
          : {
              inlineVolumeSpec: {
                accessModes: ['ReadWriteOnce'],
                csi: { driver: DISK_CSI_DRIVER, volumeHandle: diskId, fsType: use.fsType },
              },
            },
      },
    };
    const created = await api.create(undefined, va).catch(async (err: unknown) => {
      if (isAlreadyExists(err)) return api.get(undefined, name);
      throw err;
    });
    await this.markAttached(ctx, created);
  }

  private async markAttached(ctx: ControllerContext, va: VolumeAttachment): Promise<void> {
    if (va.status?.attached === true) return;
    await ctx.client
      .resource<VolumeAttachment>(VOLUME_ATTACHMENTS)
      .patchStatus(
        undefined,
        va.metadata.name!,
        { metadata: { resourceVersion: va.metadata.resourceVersion }, status: { attached: true } },
        'merge',
      );
  }

  /** reportMultiAttachError: each waiting pod is told which pods of its own namespace hold the disk. */
  private async reportMultiAttach(ctx: ControllerContext, waiting: DiskUse[], holders: DiskUse[]): Promise<void> {
    for (const w of waiting) {
      const local = holders.filter((h) => h.pod.metadata.namespace === w.pod.metadata.namespace);
      const others = holders.length - local.length;
      let detail: string;
      if (holders.length === 0)
        detail = "Volume is already exclusively attached to one node and can't be attached to another";
      else if (local.length === 0) detail = `Volume is already used by ${others} pod(s) in different namespaces`;
      else {
        detail = `Volume is already used by pod(s) ${local.map((h) => h.pod.metadata.name).join(', ')}`;
        if (others > 0) detail += ` and ${others} pod(s) in different namespaces`;
      }
      await ctx.events.record(
        w.pod,
        'Warning',
        'FailedAttachVolume',
        `Multi-Attach error for volume "${w.specName}" ${detail}`,
      );
    }
  }

  /** As the attach-detach controller's desired state: a placed pod, not terminated nor shut down (grace 0). */
  private usesNow(pod: Pod): boolean {
    const shutDown = !!pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0;
    return (
      !!pod.spec.nodeName && !!pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION] && !shutDown && !isPodTerminated(pod)
    );
  }

  /** The disks a pod's volumes resolve to through the caches (claims not bound yet resolve to nothing). */
  private disksOf(pod: Pod): (DiskUse & { diskId: string })[] {
    const host = pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION] ?? '';
    return (pod.spec.volumes ?? []).flatMap((v) => {
      const inline = diskOfInlineVolume(v);
      if (inline) return [{ pod, host, specName: v.name, fsType: inline.fsType, diskId: inline.diskId }];
      const claimName = claimNameOf(pod, v);
      const claim = claimName ? this.claims.get(pod.metadata.namespace, claimName) : undefined;
      const pv = claim?.spec.volumeName ? this.volumes.get(undefined, claim.spec.volumeName) : undefined;
      const disk = pv && diskOfPersistentVolume(pv);
      return disk ? [{ pod, host, specName: pv.metadata.name!, pvName: pv.metadata.name!, ...disk }] : [];
    });
  }
}

const byCreation = (a: DiskUse, b: DiskUse): number =>
  (a.pod.metadata.creationTimestamp ?? '').localeCompare(b.pod.metadata.creationTimestamp ?? '') ||
  (a.pod.metadata.name ?? '').localeCompare(b.pod.metadata.name ?? '');
