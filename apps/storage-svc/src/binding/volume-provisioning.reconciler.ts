import { Inject, Injectable } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import {
  Controller,
  ControllerContext,
  Informer,
  objectKey,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  ReconcileResult,
  splitKey,
  STORAGE_CLASSES,
} from '@skiff/controller-runtime';
import { ignoreAlreadyExists, ignoreNotFound } from '@skiff/kube-client';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/kube-types';
import { ProvisioningError } from './provisioning.error';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  PROVISIONER_FINALIZER,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
} from './storage-annotations';
import { patchVolume } from './storage-writes';
import { claimClassOf, claimRefOf, isDelayBinding } from './volume-matching';
import { VOLUME_PROVISIONERS, VolumeProvisioner } from './volume-provisioner';

const CLAIM = 'claim:';
const VOLUME = 'volume:';
// An infeasible request (InvalidArgument) is tried again this much later, as upstream's slow retry set does.
const INFEASIBLE_RETRY_MS = 5 * 60_000;

/**
 * Upstream's external-provisioner (sig-storage-lib-external-provisioner) for the backends in VOLUME_PROVISIONERS:
 * makes a volume for each claim the binder addressed to one of them (volume.kubernetes.io/storage-provisioner) —
 * a WaitForFirstConsumer claim once it has a selected node — and creates its PV pointing at the claim, for the
 * binder to bind. A released PV it made with reclaim policy Delete is deleted, backing volume first; its finalizer
 * external-provisioner.volume.kubernetes.io/finalizer keeps the PV until then. Keys: `claim:<ns>/<name>`,
 * `volume:<name>`.
 */
@Injectable()
export class VolumeProvisioningReconciler implements Controller {
  readonly name = 'external-provisioner';
  readonly workers = 4;
  private claims!: Informer<PersistentVolumeClaim>;
  private volumes!: Informer<PersistentVolume>;
  private classes!: Informer<StorageClass>;
  // Claims (by uid) whose PV this term created, so a pass before the cache shows it does not provision again.
  private created = new Set<string>();
  // Claims (by uid) whose request the backend called infeasible: when to try again.
  private retryAt = new Map<string, number>();

  constructor(
    @Inject(VOLUME_PROVISIONERS) private readonly provisioners: VolumeProvisioner[],
    private readonly clock: Clock,
  ) {}

  begin(ctx: ControllerContext): void {
    this.created = new Set();
    this.retryAt = new Map();
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    this.volumes = ctx.informers.get<PersistentVolume>(PERSISTENT_VOLUMES);
    this.classes = ctx.informers.get<StorageClass>(STORAGE_CLASSES);
    for (const e of ['add', 'update'] as const) {
      this.claims.on(e, (claim) => {
        if (this.provisionerOfClaim(claim) && !claim.spec.volumeName) ctx.enqueue(CLAIM + objectKey(claim));
      });
      this.volumes.on(e, (pv) => {
        if (this.provisionerOfVolume(pv)) ctx.enqueue(VOLUME + pv.metadata.name);
      });
    }
    this.claims.on('delete', (claim) => {
      this.created.delete(claim.metadata.uid!);
      this.retryAt.delete(claim.metadata.uid!);
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(VOLUME)) return this.syncVolume(ctx, key.slice(VOLUME.length));
    const { namespace, name } = splitKey(key.slice(CLAIM.length));
    return this.syncClaim(ctx, namespace, name);
  }

  private async syncClaim(ctx: ControllerContext, namespace: string, name: string): Promise<ReconcileResult | void> {
    const claim = this.claims.get(namespace, name);
    const provisioner = claim && this.provisionerOfClaim(claim);
    // A claim being deleted needs no volume: it would only be released at once.
    if (!claim || !provisioner || claim.spec.volumeName || claim.metadata.deletionTimestamp) return;
    const uid = claim.metadata.uid!;
    if (this.created.has(uid) || this.volumes.list().some((pv) => pv.spec.claimRef?.uid === uid)) return;
    const className = claimClassOf(claim);
    const storageClass = this.classes.get(undefined, className);
    // Retried: the class may be created (again) independently of the claim.
    if (!storageClass) throw new Error(`storageclass.storage.k8s.io "${className}" not found`);
    if (!provisioner.names.includes(storageClass.provisioner)) return; // the class changed since the binder asked
    const selectedNode = claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (isDelayBinding(storageClass) && !selectedNode) return;
    const waitMs = (this.retryAt.get(uid) ?? 0) - this.clock.nowMs();
    if (waitMs > 0) return { requeueAfterMs: waitMs };

    const message = `External provisioner is provisioning volume for claim "${objectKey(claim)}"`;
    void ctx.events.record(claim, 'Normal', 'Provisioning', message);
    let made: PersistentVolume;
    try {
      made = await provisioner.provision(claim, storageClass, selectedNode);
    } catch (err) {
      return this.provisioningFailed(ctx, claim, storageClass, err);
    }
    const pv = completeVolume(made, claim, storageClass);
    await ctx.client.resource<PersistentVolume>(PERSISTENT_VOLUMES).create(undefined, pv).catch(ignoreAlreadyExists);
    this.created.add(uid);
    this.retryAt.delete(uid);
    void ctx.events.record(
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${pv.metadata.name}`,
    );
  }

  /** A transient failure is retried with backoff; an infeasible one after INFEASIBLE_RETRY_MS. */
  private provisioningFailed(
    ctx: ControllerContext,
    claim: PersistentVolumeClaim,
    storageClass: StorageClass,
    err: unknown,
  ): ReconcileResult {
    const message = `failed to provision volume with StorageClass "${storageClass.metadata.name}": ${errorMessage(err)}`;
    if (!(err instanceof ProvisioningError) || err.transient) {
      void ctx.events.record(claim, 'Warning', 'ProvisioningFailed', message);
      throw err;
    }
    this.retryAt.set(claim.metadata.uid!, this.clock.nowMs() + INFEASIBLE_RETRY_MS);
    const infeasible = `Volume provisioning failed with infeasible error. Retries will be delayed. ${message}`;
    void ctx.events.record(claim, 'Warning', 'ProvisioningFailed', infeasible);
    return { requeueAfterMs: INFEASIBLE_RETRY_MS };
  }

  /** Keeps the finalizer on a volume to delete later, and deletes a released one (syncVolume, shouldDelete). */
  private async syncVolume(ctx: ControllerContext, name: string): Promise<void> {
    let pv = this.volumes.get(undefined, name);
    const provisioner = pv && this.provisionerOfVolume(pv);
    if (!pv || !provisioner) return;
    const policy = pv.spec.persistentVolumeReclaimPolicy;
    const finalizers = pv.metadata.finalizers ?? [];
    const held = finalizers.includes(PROVISIONER_FINALIZER);
    if (policy === 'Delete' && !held && !pv.metadata.deletionTimestamp && pv.status?.phase === 'Bound') {
      pv = await patchVolume(ctx, pv, { metadata: { finalizers: [...finalizers, PROVISIONER_FINALIZER] } });
    } else if (policy !== 'Delete' && held) {
      pv = await patchVolume(ctx, pv, { metadata: { finalizers: without(finalizers, PROVISIONER_FINALIZER) } });
    }
    if (pv.metadata.deletionTimestamp && !pv.metadata.finalizers?.includes(PROVISIONER_FINALIZER)) return;
    if (pv.status?.phase !== 'Released' || policy !== 'Delete') return;

    try {
      await provisioner.delete(pv);
    } catch (err) {
      void ctx.events.record(pv, 'Warning', 'VolumeFailedDelete', errorMessage(err));
      throw err;
    }
    const api = ctx.client.resource<PersistentVolume>(PERSISTENT_VOLUMES);
    await api.delete(undefined, name).catch(ignoreNotFound);
    // Still there (deletionTimestamp) while finalizers hold it: ours goes now that the backing volume is gone.
    const left = await api.get(undefined, name).catch(ignoreNotFound);
    const rest = left?.metadata.finalizers ?? [];
    if (left && rest.includes(PROVISIONER_FINALIZER))
      await patchVolume(ctx, left, { metadata: { finalizers: without(rest, PROVISIONER_FINALIZER) } }).catch(
        ignoreNotFound,
      );
  }

  private provisionerOfClaim(claim: PersistentVolumeClaim): VolumeProvisioner | undefined {
    const a = claim.metadata.annotations ?? {};
    return this.provisionerNamed(a[STORAGE_PROVISIONER_ANNOTATION] ?? a[BETA_STORAGE_PROVISIONER_ANNOTATION]);
  }

  private provisionerOfVolume(pv: PersistentVolume): VolumeProvisioner | undefined {
    return this.provisionerNamed(pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION]);
  }

  private provisionerNamed(name: string | undefined): VolumeProvisioner | undefined {
    return name === undefined ? undefined : this.provisioners.find((p) => p.names.includes(name));
  }
}

/** What upstream's provisioner library adds to the backend's volume before creating the PV. */
function completeVolume(
  made: PersistentVolume,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
): PersistentVolume {
  const reclaimPolicy = storageClass.reclaimPolicy ?? 'Delete';
  const finalizers = made.metadata.finalizers ?? [];
  return {
    ...made,
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      ...made.metadata,
      name: made.metadata.name || `pvc-${claim.metadata.uid}`,
      annotations: { ...made.metadata.annotations, [PROVISIONED_BY_ANNOTATION]: storageClass.provisioner },
      // Held until the backing volume is deleted; only volumes this controller will delete need it.
      finalizers:
        reclaimPolicy === 'Delete'
          ? [...without(finalizers, PROVISIONER_FINALIZER), PROVISIONER_FINALIZER]
          : made.metadata.finalizers,
    },
    spec: {
      ...made.spec,
      claimRef: claimRefOf(claim),
      storageClassName: storageClass.metadata.name,
      persistentVolumeReclaimPolicy: reclaimPolicy,
      ...(storageClass.mountOptions ? { mountOptions: storageClass.mountOptions } : {}),
    },
  };
}

const without = (list: readonly string[], item: string): string[] => list.filter((x) => x !== item);
