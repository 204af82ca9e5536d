import { labelSelectorFromObject, matchesLabels, parseQuantity } from '@skiff/api-machinery';
import type { ObjectReference, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/kube-types';
import { BETA_DEFAULT_CLASS_ANNOTATION, DEFAULT_CLASS_ANNOTATION } from './storage-annotations';

// What binding reads from claims, volumes and classes (component-helpers' storage/volume and the binder's index.go).

export type AccessMode = NonNullable<PersistentVolumeClaim['spec']['accessModes']>[number];

/** The class a claim asks for; "" is no class. */
export const claimClassOf = (claim: PersistentVolumeClaim): string => claim.spec.storageClassName ?? '';
export const volumeClassOf = (pv: PersistentVolume): string => pv.spec.storageClassName ?? '';

export const storageBytes = (q: string | number | undefined): number => (q === undefined ? 0 : parseQuantity(q));
export const requestedBytes = (claim: PersistentVolumeClaim): number =>
  storageBytes(claim.spec.resources?.requests?.storage);
export const capacityBytes = (pv: PersistentVolume): number => storageBytes(pv.spec.capacity?.storage);

/** The volume points at the claim: by name, and by uid once binding has written it. */
export function isVolumeBoundToClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = pv.spec.claimRef;
  if (!ref || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

export function claimRefOf(claim: PersistentVolumeClaim): ObjectReference {
  const m = claim.metadata;
  return {
    kind: 'PersistentVolumeClaim',
    namespace: m.namespace,
    name: m.name,
    uid: m.uid,
    apiVersion: 'v1',
    resourceVersion: m.resourceVersion,
  };
}

export const volumeModeMismatch = (claim: PersistentVolumeClaim, pv: PersistentVolume): boolean =>
  (claim.spec.volumeMode ?? 'Filesystem') !== (pv.spec.volumeMode ?? 'Filesystem');

const hasAccessModes = (pv: PersistentVolume, wanted: readonly AccessMode[]): boolean =>
  wanted.every((m) => (pv.spec.accessModes ?? []).includes(m));

/** Why the volume a claim names in spec.volumeName cannot serve it (upstream's checkVolumeSatisfyClaim). */
export function volumeMismatch(pv: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (pv.metadata.deletionTimestamp) return `the volume is marked for deletion "${pv.metadata.name}"`;
  if (capacityBytes(pv) < requestedBytes(claim)) return 'requested PV is too small';
  if (volumeClassOf(pv) !== claimClassOf(claim)) return 'storageClassName does not match';
  if (volumeModeMismatch(claim, pv)) return 'incompatible volumeMode';
  if (!hasAccessModes(pv, claim.spec.accessModes ?? [])) return 'incompatible accessMode';
  return undefined;
}

/**
 * The volume a claim binds (findBestMatchForClaim): one pre-bound to it, else the smallest Available volume of its
 * class whose size, volumeMode and labels (spec.selector) fit. As upstream's index, volumes are tried by their
 * access modes, the fewest modes that include the claim's first, so a RWO claim leaves RWX volumes to RWX claims.
 * With delayed binding (WaitForFirstConsumer) only a pre-bound volume is taken here.
 */
export function findBestMatch(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  delayBinding: boolean,
): PersistentVolume | undefined {
  const groups = new Map<string, PersistentVolume[]>();
  for (const pv of volumes) {
    if (!hasAccessModes(pv, claim.spec.accessModes ?? [])) continue;
    const key = [...new Set(pv.spec.accessModes)].sort().join(',');
    groups.set(key, [...(groups.get(key) ?? []), pv]);
  }
  const bySize = [...groups.entries()].sort(([a], [b]) => a.split(',').length - b.split(',').length);
  for (const [, group] of bySize) {
    const match = matchIn(claim, group, delayBinding);
    if (match) return match;
  }
  return undefined;
}

// component-helpers' FindMatchingVolume.
function matchIn(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  delayBinding: boolean,
): PersistentVolume | undefined {
  const requested = requestedBytes(claim);
  const selector = claim.spec.selector ? labelSelectorFromObject(claim.spec.selector) : undefined;
  let smallest: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.spec.claimRef && !isVolumeBoundToClaim(pv, claim)) continue;
    if (capacityBytes(pv) < requested || volumeModeMismatch(claim, pv) || pv.metadata.deletionTimestamp) continue;
    if (isVolumeBoundToClaim(pv, claim)) return pv;
    // With delayed binding the scheduler's choice of node decides (it sets selected-node and provisioning follows).
    if (delayBinding) continue;
    // Volumes on their way to Available are left for the next pass: binding them now would likely conflict.
    if (pv.status?.phase !== 'Available') continue;
    if (selector && !matchesLabels(selector, pv.metadata.labels)) continue;
    if (volumeClassOf(pv) !== claimClassOf(claim)) continue;
    if (!smallest || capacityBytes(pv) < capacityBytes(smallest)) smallest = pv;
  }
  return smallest;
}

export const isDelayBinding = (storageClass: StorageClass | undefined): boolean =>
  storageClass?.volumeBindingMode === 'WaitForFirstConsumer';

/** The default class (GetDefaultClass): of several, the newest, then by name as upstream. */
export function defaultClassOf(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => {
    const a = c.metadata.annotations ?? {};
    return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
  });
  const created = (c: StorageClass) => c.metadata.creationTimestamp ?? '';
  defaults.sort((a, b) => created(b).localeCompare(created(a)) || a.metadata.name!.localeCompare(b.metadata.name!));
  return defaults[0];
}
