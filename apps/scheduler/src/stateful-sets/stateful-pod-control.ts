import { EventRecorder, Informer, PERSISTENT_VOLUME_CLAIMS, PODS, STATEFUL_SETS } from '@skiff/controller-runtime';
import { isAlreadyExists, isNotFound, KubeClient } from '@skiff/kube-client';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '@skiff/kube-types';
import { StatefulPodOps } from './stateful-set-control';
import {
  claimIsStale,
  claimOwnersUpToDate,
  claimsFor,
  identityLabels,
  identityMatches,
  ordinalOf,
  wantedClaimOwners,
} from './stateful-set-identity';
import { statefulSetSpec } from './stateful-set-spec';
import { errorMessage } from '@skiff/api-machinery';

/** Bookkeeping around pod writes, so the reconciler can hold expectations (a no-op by default). */
export interface PodWriteHooks {
  beforeCreate(set: StatefulSet): void;
  createFailed(set: StatefulSet): void;
  beforeDelete(set: StatefulSet, pod: Pod): void;
  deleteFailed(set: StatefulSet, pod: Pod): void;
}

const FIELD_MANAGER = 'statefulset-controller';

/**
 * StatefulPodControl: creates, deletes and updates member pods and their claims through the API,
 * reading claims from the cache, and records upstream's events on the set.
 */
export class StatefulPodControl implements StatefulPodOps {
  constructor(
    private readonly client: KubeClient,
    private readonly events: EventRecorder,
    private readonly claims: Informer<PersistentVolumeClaim>,
    private readonly hooks?: PodWriteHooks,
  ) {}

  async createPod(set: StatefulSet, pod: Pod): Promise<void> {
    await this.createMissingClaims(set, pod);
    this.hooks?.beforeCreate(set);
    try {
      await this.client.resource<Pod>(PODS).create(set.metadata.namespace, pod, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      this.hooks?.createFailed(set);
      // Already there: the cache is behind, or someone else's pod holds the name; either way, later.
      if (!isAlreadyExists(err)) this.podEvent('create', set, pod, err);
      throw err;
    }
    this.podEvent('create', set, pod);
  }

  async deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    this.hooks?.beforeDelete(set, pod);
    try {
      await this.client
        .resource(PODS)
        .delete(pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      this.hooks?.deleteFailed(set, pod);
      if (isNotFound(err)) return;
      this.podEvent('delete', set, pod, err);
      throw err;
    }
    this.podEvent('delete', set, pod);
  }

  async updatePod(set: StatefulSet, pod: Pod): Promise<void> {
    // A live pod's volumes cannot change: a pod without its claim volumes (an adopted one) only gets the claims made.
    await this.createMissingClaims(set, pod);
    if (!this.claimsMatchRetention(set, pod)) await this.updateClaimsForRetention(set, pod);
    if (identityMatches(set, pod)) return;
    try {
      const patch = {
        metadata: { uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion, labels: identityLabels(pod) },
      };
      await this.client
        .resource(PODS)
        .patch(pod.metadata.namespace, pod.metadata.name!, patch, 'merge', { fieldManager: FIELD_MANAGER });
    } catch (err) {
      this.podEvent('update', set, pod, err);
      throw err;
    }
    this.podEvent('update', set, pod);
  }

  async createMissingClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const client = this.client.resource<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      if (this.claims.get(claim.metadata.namespace, claim.metadata.name!)) continue;
      // The set's reference goes on at creation when whenDeleted=Delete; a pod reference needs the pod's uid (later).
      const owners = wantedClaimOwners(claim, set, pod) ?? [];
      const body = owners.length > 0 ? { ...claim, metadata: { ...claim.metadata, ownerReferences: owners } } : claim;
      try {
        await client.create(claim.metadata.namespace, body, { fieldManager: FIELD_MANAGER });
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.claimEvent(set, pod, claim, err);
        throw err;
      }
      this.claimEvent(set, pod, claim);
    }
  }

  claimsMatchRetention(set: StatefulSet, pod: Pod): boolean {
    return this.existingClaims(set, pod).every((claim) => claimOwnersUpToDate(claim, set, pod));
  }

  async updateClaimsForRetention(set: StatefulSet, pod: Pod): Promise<void> {
    for (const claim of this.existingClaims(set, pod)) {
      if (claimOwnersUpToDate(claim, set, pod)) continue;
      const ownerReferences = wantedClaimOwners(claim, set, pod) ?? [];
      const patch = {
        metadata: { uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion, ownerReferences },
      };
      try {
        await this.client
          .resource(PERSISTENT_VOLUME_CLAIMS)
          .patch(claim.metadata.namespace, claim.metadata.name!, patch, 'merge', { fieldManager: FIELD_MANAGER });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  claimIsStale(set: StatefulSet, pod: Pod): boolean {
    const whenScaledDelete = statefulSetSpec(set).whenScaled === 'Delete';
    return this.existingClaims(set, pod).some((claim) =>
      whenScaledDelete ? claimIsStale(claim, pod) : Boolean(claim.metadata.deletionTimestamp),
    );
  }

  private existingClaims(set: StatefulSet, pod: Pod): PersistentVolumeClaim[] {
    return [...claimsFor(set, ordinalOf(pod)).values()]
      .map((c) => this.claims.get(c.metadata.namespace, c.metadata.name!))
      .filter((c): c is PersistentVolumeClaim => c !== undefined);
  }

  // Upstream's wording: "create Pod web-0 in StatefulSet web successful".
  private podEvent(verb: 'create' | 'delete' | 'update', set: StatefulSet, pod: Pod, err?: unknown): void {
    const title = verb[0].toUpperCase() + verb.slice(1);
    if (err === undefined)
      void this.events.record(
        withKind(set),
        'Normal',
        `Successful${title}`,
        `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
    else
      void this.events.record(
        withKind(set),
        'Warning',
        `Failed${title}`,
        `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
      );
  }

  private claimEvent(set: StatefulSet, pod: Pod, claim: PersistentVolumeClaim, err?: unknown): void {
    if (err === undefined)
      void this.events.record(
        withKind(set),
        'Normal',
        'SuccessfulCreate',
        `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`,
      );
    else
      void this.events.record(
        withKind(set),
        'Warning',
        'FailedCreate',
        `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
      );
  }
}

export function withKind(set: StatefulSet): StatefulSet {
  return { ...set, apiVersion: STATEFUL_SETS.apiVersion, kind: STATEFUL_SETS.kind };
}
