import { isJsonObject, KubeObject } from '@skiff/api-machinery';

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export function podPhase(pod: KubeObject): string {
  return isJsonObject(pod.status) && typeof pod.status.phase === 'string' ? pod.status.phase : '';
}

function podCondition(pod: KubeObject, type: string): PodCondition | undefined {
  const conditions =
    isJsonObject(pod.status) && Array.isArray(pod.status.conditions)
      ? (pod.status.conditions as unknown as PodCondition[])
      : [];
  return conditions.find((c) => c.type === type);
}

/** Counts toward a controller's replicas: not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** When the pod last became Ready (undefined when it is not Ready). */
export function podReadySince(pod: KubeObject): number | undefined {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return undefined;
  return ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
}

/** Ready for at least `minReadySeconds` at `now` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const since = podReadySince(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}
