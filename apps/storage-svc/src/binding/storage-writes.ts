import type { ControllerContext } from '@skiff/controller-runtime';
import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES } from '@skiff/controller-runtime';
import type { PersistentVolume, PersistentVolumeClaim } from '@skiff/kube-types';
import { capacityBytes, storageBytes } from './volume-matching';

// Merge patches of claims and volumes. Each carries the resourceVersion it was computed from: a decision made on an
// old view (two binders, a lagging cache) fails with a conflict and is retried on a fresh one.

type Patch = Record<string, unknown>;
export type VolumePhase = NonNullable<NonNullable<PersistentVolume['status']>['phase']>;
export type ClaimPhase = NonNullable<NonNullable<PersistentVolumeClaim['status']>['phase']>;

const withVersion = (patch: Patch, resourceVersion: string | undefined): Patch => ({
  ...patch,
  metadata: { ...(patch.metadata as Patch | undefined), resourceVersion },
});

export function patchVolume(ctx: ControllerContext, pv: PersistentVolume, patch: Patch): Promise<PersistentVolume> {
  return ctx.client
    .resource<PersistentVolume>(PERSISTENT_VOLUMES)
    .patch(undefined, pv.metadata.name!, withVersion(patch, pv.metadata.resourceVersion), 'merge');
}

export function patchClaim(
  ctx: ControllerContext,
  claim: PersistentVolumeClaim,
  patch: Patch,
  subresource?: 'status',
): Promise<PersistentVolumeClaim> {
  const api = ctx.client.resource<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
  const body = withVersion(patch, claim.metadata.resourceVersion);
  const { namespace, name } = claim.metadata;
  return subresource ? api.patchStatus(namespace, name!, body, 'merge') : api.patch(namespace, name!, body, 'merge');
}

/** Sets a volume's phase (and status.message, cleared unless given) if it differs (updateVolumePhase). */
export async function writeVolumePhase(
  ctx: ControllerContext,
  pv: PersistentVolume,
  phase: VolumePhase,
  message = '',
): Promise<PersistentVolume> {
  if (pv.status?.phase === phase) return pv;
  const status = { phase, message: message || null };
  return ctx.client
    .resource<PersistentVolume>(PERSISTENT_VOLUMES)
    .patchStatus(undefined, pv.metadata.name!, withVersion({ status }, pv.metadata.resourceVersion), 'merge');
}

/**
 * A claim's phase, with the access modes and capacity of its volume (updateClaimStatus); without a volume they go.
 * Capacity is copied only as the claim becomes Bound: later a smaller claim capacity means a filesystem resize is
 * still pending, and that is the resizer's and the agent's to finish.
 */
export async function writeClaimStatus(
  ctx: ControllerContext,
  claim: PersistentVolumeClaim,
  phase: ClaimPhase,
  pv?: PersistentVolume,
): Promise<PersistentVolumeClaim> {
  const status = claim.status ?? {};
  const patch: Patch = {};
  if (status.phase !== phase) patch.phase = phase;
  if (!pv) {
    if (status.accessModes) patch.accessModes = null;
    if (status.capacity) patch.capacity = null;
  } else {
    if ((status.accessModes ?? []).join() !== (pv.spec.accessModes ?? []).join())
      patch.accessModes = pv.spec.accessModes;
    const claimed = status.capacity?.storage;
    if (status.phase !== phase && (claimed === undefined || storageBytes(claimed) !== capacityBytes(pv)))
      patch.capacity = { storage: pv.spec.capacity?.storage };
  }
  if (Object.keys(patch).length === 0) return claim;
  return patchClaim(ctx, claim, { status: patch }, 'status');
}
