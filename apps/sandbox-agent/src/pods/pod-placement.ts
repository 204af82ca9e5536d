import { Pod, SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { PodManagerConfig } from './pod-manager.config';

/** The virtual node the scheduler binds this zone's pods to. */
export function virtualNodeName(config: Pick<PodManagerConfig, 'zone'>): string {
  return `virtual-kubelet-${config.zone}`;
}

/** Bound to this zone's virtual node and placed on this very host by the scheduler. */
export function isPlacedHere(pod: Pod, config: Pick<PodManagerConfig, 'zone' | 'hostId'>): boolean {
  return (
    pod.spec.nodeName === virtualNodeName(config) &&
    pod.metadata.annotations?.[SANDBOX_HOST_ANNOTATION] === config.hostId
  );
}

/** Succeeded or Failed: nothing of the pod runs any more. */
export function hasFinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
