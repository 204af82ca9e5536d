import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { ResourceStrategy } from './resource-strategy';

/** Pods: created Pending, stopped gracefully by their host's agent, debugged through ephemeralcontainers. */
export class PodStrategy extends ResourceStrategy {
  protected override initialStatus(): KubeObject['status'] {
    return { phase: 'Pending' };
  }

  override prepareForUpdate(requested: KubeObject, current: KubeObject, subresource: string | undefined): KubeObject {
    if (subresource !== 'ephemeralcontainers') return super.prepareForUpdate(requested, current, subresource);
    // Upstream's dropNonEphemeralContainerUpdates: the stored pod with only its ephemeral containers replaced.
    const spec = isJsonObject(current.spec) ? current.spec : {};
    const { ephemeralContainers: _old, ...rest } = spec;
    const ephemeralContainers = isJsonObject(requested.spec) ? requested.spec.ephemeralContainers : undefined;
    return {
      ...current,
      metadata: { ...current.metadata },
      spec: ephemeralContainers === undefined ? rest : { ...rest, ephemeralContainers },
    };
  }

  // Pods own nothing, and their deletion is finished by their host's agent: they get no GC finalizer.
  override finalizersOnDelete(finalizers: string[]): string[] {
    return finalizers;
  }

  // A pod bound to a node stops gracefully: the node's agent finishes the deletion.
  override gracePeriod(pod: KubeObject, requested: number | undefined): number | undefined {
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    if (typeof spec.nodeName !== 'string' || spec.nodeName === '') return undefined;
    const phase = isJsonObject(pod.status) ? pod.status.phase : undefined;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;
    const grace =
      requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    return grace > 0 ? grace : undefined;
  }
}
