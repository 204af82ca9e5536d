import { KubeObject } from '@skiff/api-machinery';
import { KubeApiError } from '@skiff/kube-client';
import { StatefulPodOps } from './stateful-set-control';
import { claimOwnersUpToDate, claimsFor, ordinalOf, wantedClaimOwners } from './stateful-set-identity';
import { RevisionWriter } from './stateful-set-revisions';

// Unit-spec fakes at the controller's write boundary: an in-memory namespace of pods, claims and revisions.

export function statefulSet(spec: Record<string, unknown> = {}, name = 'web'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      ...spec,
    },
  };
}

/** The set with another container image (a template change). */
export function withImage(set: KubeObject, image: string): KubeObject {
  const copy = structuredClone(set);
  const spec = copy.spec as { template: { spec: { containers: { image: string }[] } } };
  spec.template.spec.containers[0].image = image;
  copy.metadata.generation = (copy.metadata.generation ?? 1) + 1;
  return copy;
}

export class FakeNamespace implements StatefulPodOps, RevisionWriter {
  readonly pods = new Map<string, KubeObject>();
  readonly claims = new Map<string, KubeObject>();
  readonly revisions = new Map<string, KubeObject>();
  /** Every write, in order: "create pod web-0", "delete pod web-2", "create claim data-web-0"... */
  readonly log: string[] = [];
  private seq = 0;

  podList(): KubeObject[] {
    return [...this.pods.values()].sort((a, b) => ordinalOf(a) - ordinalOf(b));
  }

  revisionList(): KubeObject[] {
    return [...this.revisions.values()];
  }

  /** What the kubelet would report: Running and Ready since `since`. */
  markReady(name: string, since = new Date(0).toISOString()): void {
    const pod = this.pods.get(name)!;
    pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] };
  }

  setPhase(name: string, phase: string): void {
    this.pods.get(name)!.status = { phase };
  }

  /** A user's delete (pods without a node go at once). */
  remove(name: string): void {
    this.pods.delete(name);
  }

  takeLog(): string[] {
    return this.log.splice(0);
  }

  async createPod(set: KubeObject, pod: KubeObject): Promise<void> {
    await this.createMissingClaims(set, pod);
    if (this.pods.has(pod.metadata.name!))
      throw new KubeApiError(409, 'AlreadyExists', `pods "${pod.metadata.name}" already exists`);
    this.pods.set(pod.metadata.name!, {
      ...structuredClone(pod),
      metadata: { ...structuredClone(pod.metadata), uid: `pod-${++this.seq}` },
      status: { phase: 'Pending' },
    });
    this.log.push(`create pod ${pod.metadata.name}`);
  }

  async deletePod(_set: KubeObject, pod: KubeObject): Promise<void> {
    this.pods.delete(pod.metadata.name!);
    this.log.push(`delete pod ${pod.metadata.name}`);
  }

  async updatePod(set: KubeObject, pod: KubeObject): Promise<void> {
    await this.updateClaimsForRetention(set, pod);
    this.log.push(`update pod ${pod.metadata.name}`);
  }

  async createMissingClaims(set: KubeObject, pod: KubeObject): Promise<void> {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      if (this.claims.has(claim.metadata.name!)) continue;
      this.claims.set(claim.metadata.name!, {
        ...claim,
        metadata: {
          ...claim.metadata,
          uid: `pvc-${++this.seq}`,
          ownerReferences: wantedClaimOwners(claim, set, pod) ?? [],
        },
      });
      this.log.push(`create claim ${claim.metadata.name}`);
    }
  }

  claimsMatchRetention(set: KubeObject, pod: KubeObject): boolean {
    return this.podClaims(set, pod).every((c) => claimOwnersUpToDate(c, set, pod));
  }

  async updateClaimsForRetention(set: KubeObject, pod: KubeObject): Promise<void> {
    for (const c of this.podClaims(set, pod)) {
      if (claimOwnersUpToDate(c, set, pod)) continue;
      c.metadata.ownerReferences = wantedClaimOwners(c, set, pod);
      this.log.push(
        `own claim ${c.metadata.name} by ${c.metadata.ownerReferences!.map((r) => r.kind).join(',') || 'nobody'}`,
      );
    }
  }

  claimIsStale(): boolean {
    return false;
  }

  // RevisionWriter
  async create(revision: KubeObject): Promise<KubeObject> {
    if (this.revisions.has(revision.metadata.name!)) throw new KubeApiError(409, 'AlreadyExists', 'exists');
    const stored = {
      ...structuredClone(revision),
      metadata: {
        ...structuredClone(revision.metadata),
        uid: `rev-${++this.seq}`,
        creationTimestamp: new Date(this.seq * 1000).toISOString(),
      },
    };
    this.revisions.set(revision.metadata.name!, stored);
    this.log.push(`create revision ${revision.revision as number}`);
    return stored;
  }

  async get(_ns: string, name: string): Promise<KubeObject> {
    const r = this.revisions.get(name);
    if (!r) throw new KubeApiError(404, 'NotFound', 'not found');
    return r;
  }

  async setRevisionNumber(revision: KubeObject, n: number): Promise<KubeObject> {
    const r = { ...this.revisions.get(revision.metadata.name!)!, revision: n };
    this.revisions.set(revision.metadata.name!, r);
    this.log.push(`renumber revision ${revision.revision as number} to ${n}`);
    return r;
  }

  async delete(revision: KubeObject): Promise<void> {
    this.revisions.delete(revision.metadata.name!);
  }

  private podClaims(set: KubeObject, pod: KubeObject): KubeObject[] {
    return [...claimsFor(set, ordinalOf(pod)).values()]
      .map((c) => this.claims.get(c.metadata.name!))
      .filter((c): c is KubeObject => c !== undefined);
  }
}
