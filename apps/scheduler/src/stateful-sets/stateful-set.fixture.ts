import { KubeApiError } from '@skiff/kube-client';
import type {
  ControllerRevision,
  PersistentVolumeClaim,
  Pod,
  PodPhase,
  StatefulSet,
  StatefulSetSpec,
} from '@skiff/kube-types';
import { StatefulPodOps } from './stateful-set-control';
import { claimOwnersUpToDate, claimsFor, ordinalOf, wantedClaimOwners } from './stateful-set-identity';
import { RevisionWriter } from './stateful-set-revisions';

// Unit-spec fakes at the controller's write boundary: an in-memory namespace of pods, claims and revisions.

export function statefulSet(spec: Partial<StatefulSetSpec> = {}, name = 'web'): StatefulSet {
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
export function withImage(set: StatefulSet, image: string): StatefulSet {
  const copy = structuredClone(set);
  copy.spec.template.spec!.containers[0].image = image;
  copy.metadata.generation = (copy.metadata.generation ?? 1) + 1;
  return copy;
}

export class FakeNamespace implements StatefulPodOps, RevisionWriter {
  readonly pods = new Map<string, Pod>();
  readonly claims = new Map<string, PersistentVolumeClaim>();
  readonly revisions = new Map<string, ControllerRevision>();
  /** Every write, in order: "create pod web-0", "delete pod web-2", "create claim data-web-0"... */
  readonly log: string[] = [];
  private seq = 0;

  podList(): Pod[] {
    return [...this.pods.values()].sort((a, b) => ordinalOf(a) - ordinalOf(b));
  }

  revisionList(): ControllerRevision[] {
    return [...this.revisions.values()];
  }

  /** What the kubelet would report: Running and Ready since `since`. */
  markReady(name: string, since = new Date(0).toISOString()): void {
    const pod = this.pods.get(name)!;
    pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] };
  }

  setPhase(name: string, phase: PodPhase): void {
    this.pods.get(name)!.status = { phase };
  }

  /** A user's delete (pods without a node go at once). */
  remove(name: string): void {
    this.pods.delete(name);
  }

  takeLog(): string[] {
    return this.log.splice(0);
  }

  async createPod(set: StatefulSet, pod: Pod): Promise<void> {
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

  async deletePod(_set: StatefulSet, pod: Pod): Promise<void> {
    this.pods.delete(pod.metadata.name!);
    this.log.push(`delete pod ${pod.metadata.name}`);
  }

  async updatePod(set: StatefulSet, pod: Pod): Promise<void> {
    await this.updateClaimsForRetention(set, pod);
    this.log.push(`update pod ${pod.metadata.name}`);
  }

  async createMissingClaims(set: StatefulSet, pod: Pod): Promise<void> {
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

  claimsMatchRetention(set: StatefulSet, pod: Pod): boolean {
    return this.podClaims(set, pod).every((c) => claimOwnersUpToDate(c, set, pod));
  }

  async updateClaimsForRetention(set: StatefulSet, pod: Pod): Promise<void> {
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
  async create(revision: ControllerRevision): Promise<ControllerRevision> {
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
    this.log.push(`create revision ${revision.revision}`);
    return stored;
  }

  async get(_ns: string, name: string): Promise<ControllerRevision> {
    const r = this.revisions.get(name);
    if (!r) throw new KubeApiError(404, 'NotFound', 'not found');
    return r;
  }

  async setRevisionNumber(revision: ControllerRevision, n: number): Promise<ControllerRevision> {
    const r = { ...this.revisions.get(revision.metadata.name!)!, revision: n };
    this.revisions.set(revision.metadata.name!, r);
    this.log.push(`renumber revision ${revision.revision} to ${n}`);
    return r;
  }

  async delete(revision: ControllerRevision): Promise<void> {
    this.revisions.delete(revision.metadata.name!);
  }

  private podClaims(set: StatefulSet, pod: Pod): PersistentVolumeClaim[] {
    return [...claimsFor(set, ordinalOf(pod)).values()]
      .map((c) => this.claims.get(c.metadata.name!))
      .filter((c): c is PersistentVolumeClaim => c !== undefined);
  }
}
