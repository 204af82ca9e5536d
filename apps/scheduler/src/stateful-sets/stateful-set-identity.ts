import { KubeObject, ObjectMeta, OwnerReference } from '@skiff/api-machinery';
import { STATEFUL_SETS } from '@skiff/controller-runtime';
import type { PersistentVolumeClaim, Pod, StatefulSet, Volume } from '@skiff/kube-types';
import { podFromTemplate } from '../controllers/pod-template';
import { ClaimTemplate, statefulSetSpec } from './stateful-set-spec';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

// `<set>-<ordinal>`: the parent is everything before the last dash.
const STATEFUL_POD_NAME = /^(.*)-(\d+)$/;

/** The set a pod's name says it belongs to, and its ordinal (-1 when the name has none). */
export function parentAndOrdinal(pod: KubeObject): { parent: string; ordinal: number } {
  const m = STATEFUL_POD_NAME.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return { parent: m[1], ordinal: ordinal <= 2 ** 31 - 1 ? ordinal : -1 };
}

export function ordinalOf(pod: KubeObject): number {
  return parentAndOrdinal(pod).ordinal;
}

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function isMemberOf(set: KubeObject, pod: KubeObject): boolean {
  return parentAndOrdinal(pod).parent === set.metadata.name;
}

export function inOrdinalRange(set: StatefulSet, pod: KubeObject): boolean {
  const { start, replicas } = statefulSetSpec(set);
  const ord = ordinalOf(pod);
  return ord >= start && ord < start + replicas;
}

export function podRevision(pod: KubeObject): string {
  return pod.metadata.labels?.[REVISION_LABEL] ?? '';
}

export function claimName(template: ClaimTemplate, set: KubeObject, ordinal: number): string {
  return `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;
}

/**
 * The claims a member pod uses, keyed by template name: named `<claim>-<set>-<ordinal>`, labelled
 * with the template's labels and the set's matchLabels (getPersistentVolumeClaims).
 */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const spec = statefulSetSpec(set);
  const matchLabels = spec.selector?.matchLabels ?? {};
  const claims = new Map<string, PersistentVolumeClaim>();
  for (const t of spec.volumeClaimTemplates) {
    const copy = structuredClone(t);
    delete copy.status;
    // Validation gives every claim template a name and a spec.
    claims.set(t.metadata!.name!, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      ...copy,
      metadata: {
        // kubernetes-models types an embedded ObjectMeta's managedFields[].operation as any string.
        ...(copy.metadata as ObjectMeta | undefined),
        name: claimName(t, set, ordinal),
        namespace: set.metadata.namespace,
        labels: { ...copy.metadata?.labels, ...matchLabels },
      },
      spec: copy.spec ?? {},
    });
  }
  return claims;
}

/** Volumes for the claims first, then the template's own volumes that do not clash with them (updateStorage). */
function volumesWithClaims(set: StatefulSet, ordinal: number, volumes: readonly Volume[] | undefined): Volume[] {
  const claims = claimsFor(set, ordinal);
  const out: Volume[] = [...claims].map(([name, claim]) => ({
    name,
    persistentVolumeClaim: { claimName: claim.metadata.name! },
  }));
  for (const v of volumes ?? []) if (!claims.has(v.name)) out.push(v);
  return out;
}

/**
 * A new member pod at `ordinal` from `set`'s template (already at the wanted revision): stable name,
 * identity labels, hostname and subdomain for the governing Service, claim volumes, revision label.
 */
export function newStatefulSetPod(set: StatefulSet, ordinal: number, revision: string): Pod {
  const spec = statefulSetSpec(set);
  const name = podName(set, ordinal);
  const volumes = volumesWithClaims(set, ordinal, spec.template.spec?.volumes);
  return podFromTemplate(spec.template, set, STATEFUL_SETS, {
    name,
    labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision },
    // As initIdentity: hostname and subdomain are set once, at creation (both are immutable on a pod).
    spec: {
      hostname: name,
      ...(spec.serviceName ? { subdomain: spec.serviceName } : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
    },
  });
}

/** The pod carries the name, namespace and identity labels of its ordinal. */
export function identityMatches(set: KubeObject, pod: KubeObject): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  const labels = pod.metadata.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.namespace === set.metadata.namespace &&
    labels[POD_NAME_LABEL] === pod.metadata.name &&
    labels[POD_INDEX_LABEL] === String(ordinal)
  );
}

/** The pod mounts every claim of its ordinal under the template's name. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = pod.spec.volumes ?? [];
  for (const [name, claim] of claimsFor(set, ordinal)) {
    const v = volumes.find((x) => x.name === name);
    if (v?.persistentVolumeClaim?.claimName !== claim.metadata.name) return false;
  }
  return true;
}

/** Labels to merge into a pod whose identity labels are missing or wrong. */
export function identityLabels(pod: KubeObject): Record<string, string> {
  return { [POD_NAME_LABEL]: pod.metadata.name!, [POD_INDEX_LABEL]: String(ordinalOf(pod)) };
}

// --- persistentVolumeClaimRetentionPolicy: which owners a claim should carry ---

function ownerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid! };
}

/**
 * The owner references a claim should carry under the set's retention policy
 * (updateClaimOwnerRefForSetAndPod): the set when whenDeleted=Delete (and the pod is not scaled
 * away), the pod when whenScaled=Delete and the pod is condemned. Undefined when the claim has a
 * controller of its own: the policy leaves such a claim alone.
 */
export function wantedClaimOwners(claim: KubeObject, set: StatefulSet, pod: KubeObject): OwnerReference[] | undefined {
  const refs = claim.metadata.ownerReferences ?? [];
  const setUid = set.metadata.uid;
  const podUid = pod.metadata.uid;
  if (refs.some((r) => r.controller === true && r.uid !== setUid && r.uid !== podUid)) return undefined;
  const { whenDeleted, whenScaled } = statefulSetSpec(set);
  const scaledDown = !inOrdinalRange(set, pod);
  const wantSet = whenDeleted === 'Delete' && !(whenScaled === 'Delete' && scaledDown);
  const wantPod = whenScaled === 'Delete' && scaledDown && podUid !== undefined;
  const others = refs.filter((r) => r.uid !== setUid && r.uid !== podUid);
  return [
    ...others,
    ...(wantSet
      ? [refs.find((r) => r.uid === setUid) ?? ownerRef(set, STATEFUL_SETS.apiVersion, STATEFUL_SETS.kind)]
      : []),
    ...(wantPod ? [refs.find((r) => r.uid === podUid) ?? ownerRef(pod, 'v1', 'Pod')] : []),
  ];
}

export function claimOwnersUpToDate(claim: KubeObject, set: StatefulSet, pod: KubeObject): boolean {
  const wanted = wantedClaimOwners(claim, set, pod);
  if (!wanted) return true;
  const have = new Set((claim.metadata.ownerReferences ?? []).map((r) => r.uid));
  return wanted.length === have.size && wanted.every((r) => have.has(r.uid));
}

/**
 * A claim left over from an earlier pod of this ordinal that the garbage collector is about to
 * delete (whenScaled=Delete gave it that pod as owner), or one being deleted: the new pod waits.
 */
export function claimIsStale(claim: KubeObject, pod: KubeObject): boolean {
  if (claim.metadata.deletionTimestamp) return true;
  return (claim.metadata.ownerReferences ?? []).some(
    (r) => r.kind === 'Pod' && r.name === pod.metadata.name && r.uid !== pod.metadata.uid,
  );
}
