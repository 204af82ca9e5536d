import type { Pod, PodCondition } from '@skiff/kube-types';

export function podPhase(pod: Pod): string {
  return pod.status?.phase ?? '';
}

function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** Counts toward a controller's replicas: not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function isPodReady(pod: Pod): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** When the pod last became Ready (undefined when it is not Ready). */
export function podReadySince(pod: Pod): number | undefined {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return undefined;
  return ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
}

/** Ready for at least `minReadySeconds` at `now` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const since = podReadySince(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}
