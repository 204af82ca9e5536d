import type { Pod } from '@skiff/kube-types';

/** The pod has run to completion (util.IsPodTerminated): its containers no longer use volumes. */
export const isPodTerminated = (pod: Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
