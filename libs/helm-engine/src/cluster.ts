import { KubeObject } from '@skiff/api-machinery';
import { KubeApiError, KubeClient, ResourceClient, ResourceRef } from '@skiff/kube-client';
import type { Capabilities } from './renderer';

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** What the cluster serves, read from discovery: kinds to resources, and the chart's `.Capabilities`. */
export class ClusterMapping {
  private constructor(
    private readonly kinds: Map<string, ResourceRef>,
    readonly capabilities: Capabilities,
  ) {}

  /** Reads discovery (every group/version's resources) and the server's version. */
  static async read(client: KubeClient, helmVersion: string): Promise<ClusterMapping> {
    const groupVersions = ['v1'];
    const groups = await client.request<{ groups: { versions: { groupVersion: string }[] }[] }>('GET', '/apis');
    for (const g of groups.groups) for (const v of g.versions) groupVersions.push(v.groupVersion);
    const kinds = new Map<string, ResourceRef>();
    const apiVersions: string[] = [];
    const lists = await Promise.all(
      groupVersions.map((gv) =>
        client.request<ApiResourceList>('GET', gv === 'v1' ? '/api/v1' : `/apis/${gv}`).catch(() => undefined),
      ),
    );
    for (const list of lists) {
      if (!list) continue;
      apiVersions.push(list.groupVersion);
      const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
      for (const r of list.resources) {
        if (r.name.includes('/')) continue;
        apiVersions.push(`${list.groupVersion}/${r.kind}`);
        kinds.set(`${list.groupVersion}/${r.kind}`, { group, version, resource: r.name, namespaced: r.namespaced });
      }
    }
    const version = await client.request<{ gitVersion: string }>('GET', '/version');
    return new ClusterMapping(kinds, { apiVersions, kubeVersion: version.gitVersion, helmVersion });
  }

  /** The resource an object is of; a kind the cluster does not serve is Helm's error. */
  resourceOf(obj: KubeObject): ResourceRef {
    const ref = this.kinds.get(`${obj.apiVersion}/${obj.kind}`);
    if (!ref)
      throw new Error(
        `resource mapping not found for name: "${obj.metadata?.name}" namespace: "${obj.metadata?.namespace ?? ''}" from "": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first`,
      );
    return ref;
  }
}

/** One object of a release, with its resource and namespace settled. */
export interface ReleaseObject {
  obj: KubeObject;
  ref: ResourceRef;
  /** undefined for cluster-scoped objects. */
  namespace: string | undefined;
}

/** "Deployment "web" in namespace "prod"", as Helm names an object in its messages. */
export function describeObject(o: ReleaseObject): string {
  return `${o.obj.kind} "${o.obj.metadata.name}"${o.namespace ? ` in namespace "${o.namespace}"` : ''}`;
}

export function resourceClient(client: KubeClient, o: ReleaseObject): ResourceClient {
  return client.resource(o.ref);
}

/** The object as it is now, or undefined when it is not there. */
export async function liveObject(client: KubeClient, o: ReleaseObject): Promise<KubeObject | undefined> {
  try {
    return await client.resource(o.ref).get(o.namespace, o.obj.metadata.name!);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** Deletes an object (its dependents in the background); one already gone is fine. */
export async function deleteObject(client: KubeClient, o: ReleaseObject): Promise<void> {
  try {
    await client.resource(o.ref).delete(o.namespace, o.obj.metadata.name!, { propagationPolicy: 'Background' });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 404)) throw err;
  }
}

/**
 * Whether an object is ready, as `helm --wait` judges it: Pods Ready (or Succeeded), Deployments rolled out,
 * StatefulSets and ReplicaSets with all replicas updated and ready, Services with a ClusterIP (and a load balancer's ingress),
 * PersistentVolumeClaims Bound, Jobs complete (only when waiting for jobs); anything else is ready once it exists.
 */
export function isReady(live: KubeObject, waitForJobs: boolean): boolean {
  const spec = (live.spec ?? {}) as Record<string, unknown>;
  const status = (live.status ?? {}) as Record<string, unknown>;
  const conditions = (status.conditions ?? []) as { type: string; status: string }[];
  const condition = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  const generationSeen = (status.observedGeneration as number | undefined) ?? 0;
  const current = generationSeen >= ((live.metadata.generation as number | undefined) ?? 0);
  const replicas = (spec.replicas as number | undefined) ?? 1;
  switch (live.kind) {
    case 'Pod':
      return status.phase === 'Succeeded' || condition('Ready');
    case 'Deployment': {
      // The rollout is over, as `kubectl rollout status` judges it: every replica updated, no old one left, and the
      // updated ones available. (Ready replicas alone would count an old pod while a new one cannot start.)
      const updated = (status.updatedReplicas as number | undefined) ?? 0;
      return (
        current &&
        updated >= replicas &&
        ((status.replicas as number | undefined) ?? 0) <= updated &&
        ((status.availableReplicas as number | undefined) ?? 0) >= updated
      );
    }
    case 'StatefulSet':
    case 'ReplicaSet':
      return (
        current &&
        ((status.updatedReplicas as number | undefined) ?? (live.kind === 'ReplicaSet' ? replicas : 0)) >= replicas &&
        ((status.readyReplicas as number | undefined) ?? 0) >= replicas &&
        // A StatefulSet's pods are all of the update revision once its rolling update has finished.
        (live.kind !== 'StatefulSet' || !status.updateRevision || status.currentRevision === status.updateRevision)
      );
    case 'Service':
      if (spec.type === 'ExternalName') return true;
      if (!spec.clusterIP) return false;
      return (
        spec.type !== 'LoadBalancer' || ((status.loadBalancer as { ingress?: unknown[] })?.ingress ?? []).length > 0
      );
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound';
    case 'Job':
      return !waitForJobs || condition('Complete');
    default:
      return true;
  }
}
