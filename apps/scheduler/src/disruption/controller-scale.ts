import { isJsonObject, KubeObject, OwnerReference } from '@skiff/api-machinery';
import { controllerRefOf, Informer } from '@skiff/controller-runtime';
import { isNotFound, KubeClient } from '@skiff/kube-client';
import type { Deployment, ReplicaSet, ReplicationController, StatefulSet } from '@skiff/kube-types';

/** A pod's controller and the replicas it wants (upstream's controllerAndScale). */
export interface ControllerAndScale {
  uid: string;
  scale: number;
}

/** The caches the finders read; any other kind is asked for through its /scale subresource. */
export interface ScaleSources {
  replicationControllers: Informer<ReplicationController>;
  replicaSets: Informer<ReplicaSet>;
  deployments: Informer<Deployment>;
  statefulSets: Informer<StatefulSet>;
  client: KubeClient;
}

interface ApiResource {
  name: string;
  kind: string;
}

function groupOf(apiVersion: string): string | undefined {
  const parts = apiVersion.split('/');
  if (parts.length > 2) throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
  return parts.length === 2 ? parts[0] : '';
}

function is(ref: OwnerReference, kind: string, groups: string[]): boolean {
  return ref.kind === kind && groups.includes(groupOf(ref.apiVersion) ?? '');
}

// The workloads default spec.replicas to 1.
function replicasOf(obj: ReplicationController | ReplicaSet | Deployment | StatefulSet): number {
  return obj.spec.replicas ?? 1;
}

function cached<T extends KubeObject>(
  informer: Informer<T>,
  namespace: string | undefined,
  ref: OwnerReference,
): T | undefined {
  const obj = informer.get(namespace, ref.name);
  return obj && obj.metadata.uid === ref.uid ? obj : undefined;
}

/**
 * The finders of the disruption controller, in upstream's order: ReplicationController,
 * Deployment (through its ReplicaSet), ReplicaSet without a Deployment, StatefulSet, and
 * anything else that serves a /scale subresource (custom resources).
 */
export class ControllerScaleFinder {
  constructor(private readonly sources: ScaleSources) {}

  async find(ref: OwnerReference, namespace: string | undefined): Promise<ControllerAndScale | undefined> {
    const { replicationControllers, replicaSets, deployments, statefulSets } = this.sources;
    if (is(ref, 'ReplicationController', [''])) {
      const rc = cached(replicationControllers, namespace, ref);
      if (rc) return { uid: rc.metadata.uid!, scale: replicasOf(rc) };
    }
    if (is(ref, 'ReplicaSet', ['apps', 'extensions'])) {
      const rs = cached(replicaSets, namespace, ref);
      const owner = rs && controllerRefOf(rs);
      if (rs && owner && is(owner, 'Deployment', ['apps', 'extensions'])) {
        const deployment = cached(deployments, namespace, owner);
        if (deployment) return { uid: deployment.metadata.uid!, scale: replicasOf(deployment) };
      }
      // A ReplicaSet a Deployment controls counts only through its Deployment.
      if (rs && !(owner && owner.kind === 'Deployment')) return { uid: rs.metadata.uid!, scale: replicasOf(rs) };
    }
    if (is(ref, 'StatefulSet', ['apps'])) {
      const sts = cached(statefulSets, namespace, ref);
      if (sts) return { uid: sts.metadata.uid!, scale: replicasOf(sts) };
    }
    return this.fromScaleSubresource(ref, namespace);
  }

  /** getScaleController: the resource found through discovery, its Scale read from the API. */
  private async fromScaleSubresource(
    ref: OwnerReference,
    namespace: string | undefined,
  ): Promise<ControllerAndScale | undefined> {
    const group = groupOf(ref.apiVersion);
    const base = group === '' ? `/api/${ref.apiVersion}` : `/apis/${ref.apiVersion}`;
    const list = await this.sources.client.request<{ resources?: ApiResource[] }>('GET', base).catch((err: unknown) => {
      if (isNotFound(err)) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
      throw err;
    });
    const resources = list.resources ?? [];
    const resource = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
    if (!resource) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    const path = `${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource.name}/${encodeURIComponent(ref.name)}/scale`;
    // Any kind with a /scale subresource answers here (custom resources too): read it as plain JSON.
    let scale: KubeObject;
    try {
      scale = await this.sources.client.request<KubeObject>('GET', path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Either the object is gone, or its kind has no scale subresource: only the second is an error.
      if (!resources.some((r) => r.name === `${resource.name}/scale` && r.kind === 'Scale')) {
        throw new Error(
          `${group ? `${resource.name}.${group}` : resource.name} does not implement the scale subresource`,
        );
      }
      return undefined;
    }
    if (scale.metadata.uid !== ref.uid) return undefined;
    return {
      uid: scale.metadata.uid,
      scale: isJsonObject(scale.spec) && typeof scale.spec.replicas === 'number' ? scale.spec.replicas : 0,
    };
  }
}
