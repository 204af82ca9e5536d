import { Injectable } from '@nestjs/common';
import { KubeObject, LabelSelector, labelSelectorFromObject, matchesLabels, errorMessage } from '@skiff/api-machinery';
import {
  ControllerContext,
  ControllerExpectations,
  Informer,
  PODS,
  ReconcileResult,
  REPLICA_SETS,
  splitKey,
  Controller,
  KindRef,
} from '@skiff/controller-runtime';
import { isAlreadyExists, isConflict, isNotFound, KubeApiError } from '@skiff/kube-client';
import type { Pod, ReplicaSet } from '@skiff/kube-types';
import { claimTyped } from '../controllers/claimed-objects';
import { watchOwnedPods } from '../controllers/owned-pods';
import { isPodActive } from '../controllers/pod-conditions';
import { podFromTemplate } from '../controllers/pod-template';
import { podsToDelete } from './pods-to-delete';
import { ReplicatedOwner, replicaSetStatus, sameStatus } from './replica-set-status';

// Upstream's burstReplicas: at most this many creates or deletes per sync.
const BURST_REPLICAS = 500;
// Creates go out in batches of 1, 2, 4, ...: a template that cannot create fails once, not 500 times.
const SLOW_START_INITIAL_BATCH = 1;

/** The owners a replica controller keeps pods for, and how their selector reads as a LabelSelector. */
export interface ReplicatedKind<O extends ReplicatedOwner = ReplicatedOwner> {
  readonly resource: KindRef;
  selectorOf(owner: O): LabelSelector | undefined;
}

export const REPLICA_SET_KIND: ReplicatedKind<ReplicaSet> = {
  resource: REPLICA_SETS,
  selectorOf: (rs) => rs.spec.selector,
};

/**
 * Keeps `spec.replicas` active pods for every ReplicaSet (pkg/controller/replicaset): claims
 * pods by selector, waits on expectations before counting again, creates from the template
 * or deletes the least valuable pods, and reports status. ReplicationControllers run on the
 * same code with another `kind` (see ../replication-controllers).
 */
@Injectable()
export class ReplicaSetReconciler implements Controller {
  readonly name: string = 'replicaset-controller';
  readonly workers = 5;
  protected readonly kind: ReplicatedKind = REPLICA_SET_KIND;
  private expectations = new ControllerExpectations();
  private owners!: Informer<ReplicatedOwner>;
  private pods!: Informer<Pod>;

  begin(ctx: ControllerContext): void {
    this.expectations = new ControllerExpectations();
    this.owners = ctx.informers.get<ReplicatedOwner>(this.kind.resource);
    this.pods = ctx.informers.get<Pod>(PODS);
    watchOwnedPods(ctx, this.pods, {
      owners: this.owners,
      ownerKind: this.kind.resource.kind,
      expectations: this.expectations,
      minReadySeconds: minReadySecondsOf,
      selects: (rs, pod) => matchesLabels(labelSelectorFromObject(this.kind.selectorOf(rs)), pod.metadata.labels),
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const rs = this.owners.get(namespace, name);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    // Decided before reading the pods: a pod seen while claiming must not satisfy a count made from an older list.
    const needsSync = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const selector = labelSelectorFromObject(this.kind.selectorOf(rs));
    const candidates = this.pods.list().filter((p) => p.metadata.namespace === namespace && isPodActive(p));
    const pods = await claimTyped(ctx.client, {
      owner: rs,
      ownerResource: this.kind.resource,
      selector,
      candidates,
      dependents: PODS,
    });
    let failure: string | undefined;
    if (needsSync) failure = await this.manageReplicas(ctx, key, rs, pods);
    return this.writeStatus(ctx, rs, pods, failure);
  }

  /** Creates or deletes pods toward spec.replicas; returns the create failure to report, if any. */
  private async manageReplicas(
    ctx: ControllerContext,
    key: string,
    rs: ReplicatedOwner,
    pods: Pod[],
  ): Promise<string | undefined> {
    const diff = pods.length - replicasOf(rs);
    if (diff < 0) return this.createPods(ctx, key, rs, Math.min(-diff, BURST_REPLICAS));
    if (diff > 0) await this.deletePods(ctx, key, rs, podsToDelete(pods, Math.min(diff, BURST_REPLICAS)));
    return undefined;
  }

  private async createPods(
    ctx: ControllerContext,
    key: string,
    rs: ReplicatedOwner,
    n: number,
  ): Promise<string | undefined> {
    const client = ctx.client.resource<Pod>(PODS);
    this.expectations.expectCreations(key, n);
    let remaining = n;
    let batch = SLOW_START_INITIAL_BATCH;
    while (remaining > 0) {
      if (ctx.signal.aborted) {
        // Not leading any more: the next leader counts afresh; these creates will never be seen here.
        for (let i = 0; i < remaining; i++) this.expectations.creationObserved(key);
        return undefined;
      }
      const size = Math.min(batch, remaining);
      const results = await Promise.allSettled(
        Array.from({ length: size }, () =>
          client.create(rs.metadata.namespace, podFromTemplate(rs.spec.template, rs, this.kind.resource)),
        ),
      );
      remaining -= size;
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      for (const r of results) {
        if (r.status === 'fulfilled')
          void ctx.events.record(
            this.withKind(rs),
            'Normal',
            'SuccessfulCreate',
            `Created pod: ${r.value.metadata.name}`,
          );
      }
      if (failed.length > 0) {
        // Creates that failed, and the batches never sent, will not show up in the cache.
        for (let i = 0; i < failed.length + remaining; i++) this.expectations.creationObserved(key);
        const message = errorMessage(failed[0].reason);
        void ctx.events.record(this.withKind(rs), 'Warning', 'FailedCreate', `Error creating: ${message}`);
        // A namespace being deleted refuses new pods: nothing to retry.
        if (failed.every((r) => isAlreadyExists(r.reason) || isForbidden(r.reason))) return message;
        throw new Error(`creating pods for ${key}: ${message}`);
      }
      batch *= 2;
    }
    return undefined;
  }

  private async deletePods(ctx: ControllerContext, key: string, rs: ReplicatedOwner, victims: Pod[]): Promise<void> {
    const client = ctx.client.resource<Pod>(PODS);
    this.expectations.expectDeletions(
      key,
      victims.map((p) => p.metadata.uid!),
    );
    const results = await Promise.allSettled(
      victims.map((p) =>
        client.delete(p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } }),
      ),
    );
    let firstError: unknown;
    results.forEach((r, i) => {
      const pod = victims[i];
      if (r.status === 'fulfilled') {
        void ctx.events.record(this.withKind(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        return;
      }
      this.expectations.deletionObserved(key, pod.metadata.uid!);
      if (isNotFound(r.reason) || isConflict(r.reason)) return; // already gone
      firstError ??= r.reason;
      void ctx.events.record(this.withKind(rs), 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(r.reason)}`);
    });
    if (firstError) throw firstError;
  }

  // Cached objects carry no kind; events name the owner by it.
  private withKind(owner: KubeObject): KubeObject {
    return { ...owner, apiVersion: this.kind.resource.apiVersion, kind: this.kind.resource.kind };
  }

  private async writeStatus(
    ctx: ControllerContext,
    rs: ReplicatedOwner,
    pods: Pod[],
    failure?: string,
  ): Promise<ReconcileResult | void> {
    const minReady = minReadySecondsOf(rs);
    const now = Date.now();
    const status = replicaSetStatus(rs, pods, minReady, now, failure);
    if (!sameStatus(rs.status, status)) {
      try {
        await ctx.client
          .resource(this.kind.resource)
          .patchStatus(
            rs.metadata.namespace,
            rs.metadata.name!,
            { metadata: { uid: rs.metadata.uid }, status },
            'merge',
          );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Pods ready but not yet available: look again when they will be.
    if (minReady > 0 && status.readyReplicas > status.availableReplicas) return { requeueAfterMs: minReady * 1000 };
  }
}

function replicasOf(owner: ReplicatedOwner): number {
  return owner.spec.replicas ?? 1;
}

function minReadySecondsOf(owner: ReplicatedOwner): number {
  return owner.spec.minReadySeconds ?? 0;
}

function isForbidden(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 403;
}
