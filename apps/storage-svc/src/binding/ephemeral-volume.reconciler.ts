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
import { isAlreadyExists } from '@skiff/kube-client';
import type { PersistentVolumeClaim, Pod, Volume } from '@skiff/kube-types';
import { claimNameOf, dynamicDiskOf } from '@skiff/messaging';

/**
 * Upstream's ephemeral volume controller (pkg/controller/volume/ephemeral): each generic ephemeral volume of a pod
 * gets its claim `<pod>-<volume>` from the volume's template, owned by the pod (the garbage collector deletes it with
 * the pod). ASK's dynamic flexvolume disk (`volumeSize`, `volumeType`) is served the same way: a ReadWriteOnce claim
 * of its disk class. A claim of that name the pod does not own is left alone; the scheduler says so. Keys: pods.
 */
@Injectable()
export class EphemeralVolumeReconciler implements Controller {
  readonly name = 'ephemeral-volume-controller';
  readonly workers = 2;
  private pods!: Informer<Pod>;
  private claims!: Informer<PersistentVolumeClaim>;

  begin(ctx: ControllerContext): void {
    this.pods = ctx.informers.get<Pod>(PODS);
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    for (const e of ['add', 'update'] as const) this.pods.on(e, (pod) => ctx.enqueue(objectKey(pod)));
    // A claim deleted from under a pod that still wants it is made again.
    this.claims.on('delete', (claim) => {
      for (const ref of claim.metadata.ownerReferences ?? [])
        if (ref.kind === 'Pod' && ref.controller) ctx.enqueue(`${claim.metadata.namespace}/${ref.name}`);
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.get(namespace, name);
    // As upstream: nothing is made for a pod on its way out.
    if (!pod || pod.metadata.deletionTimestamp) return;
    for (const v of pod.spec.volumes ?? []) {
      const spec = claimSpecOf(v);
      const claimName = claimNameOf(pod, v);
      if (!spec || !claimName || this.claims.get(namespace, claimName)) continue;
      const template = v.ephemeral?.volumeClaimTemplate;
      const claim: PersistentVolumeClaim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName,
          namespace,
          ...(template?.metadata?.labels ? { labels: template.metadata.labels } : {}),
          ...(template?.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Pod', name, uid: pod.metadata.uid!, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec,
      };
      await ctx.client
        .resource<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS)
        .create(namespace, claim)
        .catch((err: unknown) => {
          // Made meanwhile (or someone else's claim of that name): the scheduler checks the owner.
          if (!isAlreadyExists(err)) throw err;
        });
    }
  }
}

function claimSpecOf(v: Volume): PersistentVolumeClaim['spec'] | undefined {
  if (v.ephemeral) return v.ephemeral.volumeClaimTemplate?.spec;
  const disk = dynamicDiskOf(v);
  if (!disk) return undefined;
  return {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: disk.size } },
    ...(disk.storageClassName ? { storageClassName: disk.storageClassName } : {}),
  };
}
