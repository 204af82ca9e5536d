import type { Pod } from '@skiff/kube-types';

/** The claims a pod mounts: its persistentVolumeClaim volumes and the claims of its generic ephemeral volumes. */
export function podClaimNames(pod: Pod): string[] {
  return (pod.spec.volumes ?? []).flatMap((v) => {
    if (v.persistentVolumeClaim) return [v.persistentVolumeClaim.claimName];
    // An ephemeral volume's claim is named <pod>-<volume> (k8s.io/component-helpers/storage/ephemeral).
    if (v.ephemeral) return [`${pod.metadata.name}-${v.name}`];
    return [];
  });
}

/** The pod has run to completion (util.IsPodTerminated): its containers no longer use volumes. */
export const isPodTerminated = (pod: Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
