import { errorMessage } from '@skiff/api-machinery';
import { HORIZONTAL_POD_AUTOSCALERS, ScaleClient } from '@skiff/controller-runtime';
import { isConflict, isNotFound, KubeClient } from '@skiff/kube-client';
import type { HorizontalPodAutoscaler } from '@skiff/kube-types';
import { ScaleTargetRef } from './cron-horizontal-pod-autoscaler';

// A write that loses a race with another writer (the HPA controller's status, a rollout) reads again.
const CONFLICT_ATTEMPTS = 3;

async function retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isConflict(err) || attempt >= CONFLICT_ATTEMPTS) throw err;
    }
  }
}

export function isHpaRef(ref: ScaleTargetRef): boolean {
  return ref.kind === 'HorizontalPodAutoscaler' && ref.apiVersion.split('/')[0] === 'autoscaling';
}

/** Sets the target's replicas through its /scale subresource; answers ASK's "current replicas:n, desired replicas:m." */
export async function scaleWorkload(
  client: KubeClient,
  namespace: string,
  ref: ScaleTargetRef,
  desired: number,
): Promise<string> {
  const scales = new ScaleClient(client);
  return retryOnConflict(async () => {
    const scale = await readScale(scales, namespace, ref);
    const current = scale.spec?.replicas ?? 0;
    await writeScale(scales, namespace, ref, { ...scale, spec: { ...scale.spec, replicas: desired } }, desired);
    return `current replicas:${current}, desired replicas:${desired}.`;
  });
}

/**
 * ASK's ScaleHPA: the HPA's bounds make room for `desired` (maxReplicas raised to it; minReplicas raised to it when
 * the HPA runs fewer, lowered to it when it is below minReplicas or the HPA sits at minReplicas), then the HPA's
 * target is scaled up to `desired` if it runs fewer, else left to the HPA with ASK's skip message.
 */
export async function scaleThroughHpa(
  client: KubeClient,
  namespace: string,
  ref: ScaleTargetRef,
  desired: number,
): Promise<string> {
  const hpas = client.resource<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS);
  const scales = new ScaleClient(client);
  const hpa = await retryOnConflict(async () => {
    let hpa: HorizontalPodAutoscaler;
    try {
      hpa = await hpas.get(namespace, ref.name);
    } catch (err) {
      throw new Error(`Failed to get HorizontalPodAutoscaler Ref,because of ${errorMessage(err)}`);
    }
    const min = hpa.spec?.minReplicas ?? 1;
    const max = hpa.spec?.maxReplicas ?? 0;
    const current = hpa.status?.currentReplicas ?? 0;
    let newMin = min;
    let newMax = max;
    if (desired > max) newMax = desired;
    if (desired < newMin) newMin = desired;
    if (current === newMin && desired < current) newMin = desired;
    if (current < desired) newMin = desired;
    if (newMin === min && newMax === max) return hpa;
    return hpas.update(namespace, { ...hpa, spec: { ...hpa.spec!, minReplicas: newMin, maxReplicas: newMax } });
  });
  const { apiVersion, kind, name } = hpa.spec!.scaleTargetRef;
  // An empty apiVersion is the core group, as the HPA controller reads it.
  const target = { apiVersion: apiVersion || 'v1', kind, name };
  return retryOnConflict(async () => {
    const scale = await readScale(scales, namespace, target);
    const replicas = scale.spec?.replicas ?? 0;
    if ((hpa.status?.currentReplicas ?? 0) >= desired)
      return `Skip scale replicas because HPA ${hpa.metadata.name} current replicas:${replicas} >= desired replicas:${desired}.`;
    await writeScale(scales, namespace, target, { ...scale, spec: { ...scale.spec, replicas: desired } }, desired);
    return `current replicas:${replicas}, desired replicas:${desired}.`;
  });
}

async function readScale(scales: ScaleClient, namespace: string, ref: ScaleTargetRef) {
  try {
    return await scales.get(namespace, ref);
  } catch (err) {
    const why = isNotFound(err) ? '' : `, err is ${errorMessage(err)}`;
    throw new Error(`failed to find source target ${ref.kind} ${ref.name} in ${namespace} namespace${why}`);
  }
}

async function writeScale(
  scales: ScaleClient,
  namespace: string,
  ref: ScaleTargetRef,
  scale: Parameters<ScaleClient['update']>[2],
  desired: number,
): Promise<void> {
  try {
    await scales.update(namespace, ref, scale);
  } catch (err) {
    if (isConflict(err)) throw err;
    throw new Error(
      `failed to scale ${ref.kind} ${ref.name} in ${namespace} namespace to ${desired}, because of ${errorMessage(err)}`,
    );
  }
}
