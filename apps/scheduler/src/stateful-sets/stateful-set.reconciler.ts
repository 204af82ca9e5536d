import { Injectable } from '@nestjs/common';
import { KubeObject, labelSelectorFromObject, matchesLabels } from '@skiff/api-machinery';
import {
  CONTROLLER_REVISIONS,
  ControllerContext,
  ControllerExpectations,
  Informer,
  objectKey,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  ReconcileResult,
  splitKey,
  STATEFUL_SETS,
  Controller,
} from '@skiff/controller-runtime';
import { isNotFound, KubeClient } from '@skiff/kube-client';
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '@skiff/kube-types';
import { claimTyped } from '../controllers/claimed-objects';
import { watchOwnedPods } from '../controllers/owned-pods';
import { StatefulPodControl } from './stateful-pod-control';
import { updateStatefulSet } from './stateful-set-control';
import { isMemberOf, podRevision } from './stateful-set-identity';
import { revisionsToPrune, RevisionWriter, sortRevisions, syncRevisions } from './stateful-set-revisions';
import { statefulSetSpec } from './stateful-set-spec';
import { completeRollingUpdate, sameStatus, StatefulSetStatusView } from './stateful-set-status';

/**
 * The StatefulSet controller (pkg/controller/statefulset): stable pod identities `<set>-<ordinal>`
 * with their claims, ordered or parallel scaling, revisions as ControllerRevisions, RollingUpdate
 * (with partition and maxUnavailable) and OnDelete updates, and status.
 */
@Injectable()
export class StatefulSetReconciler implements Controller {
  readonly name = 'statefulset-controller';
  readonly workers = 5;
  private expectations = new ControllerExpectations();
  private sets!: Informer<StatefulSet>;
  private pods!: Informer<Pod>;
  private revisions!: Informer<ControllerRevision>;
  private claims!: Informer<PersistentVolumeClaim>;

  begin(ctx: ControllerContext): void {
    this.expectations = new ControllerExpectations();
    this.sets = ctx.informers.get<StatefulSet>(STATEFUL_SETS);
    this.pods = ctx.informers.get<Pod>(PODS);
    this.revisions = ctx.informers.get<ControllerRevision>(CONTROLLER_REVISIONS);
    this.claims = ctx.informers.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    watchOwnedPods(ctx, this.pods, {
      owners: this.sets,
      ownerKind: STATEFUL_SETS.kind,
      expectations: this.expectations,
      minReadySeconds: (set) => statefulSetSpec(set).minReadySeconds,
      selects: (set, pod) =>
        isMemberOf(set, pod) &&
        matchesLabels(labelSelectorFromObject(statefulSetSpec(set).selector), pod.metadata.labels),
    });
    // A revision or claim changed or deleted by someone else (a stale claim the garbage collector
    // removed unblocks its pod): the sets that select it take a look.
    const watchSelected = <T extends KubeObject>(informer: Informer<T>): void => {
      informer.on('update', (obj, old) => {
        if (old !== obj) this.enqueueSelecting(ctx, obj);
      });
      informer.on('delete', (obj) => this.enqueueSelecting(ctx, obj));
    };
    watchSelected(this.revisions);
    watchSelected(this.claims);
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const set = this.sets.get(namespace, name);
    if (!set) {
      this.expectations.forget(key);
      return;
    }
    // Pods created or deleted in an earlier pass are not in the cache yet: counting now would repeat them.
    if (!this.expectations.satisfied(key)) return;
    const spec = statefulSetSpec(set);
    const selector = labelSelectorFromObject(spec.selector);
    const podCandidates = this.pods.list().filter((p) => p.metadata.namespace === namespace && isMemberOf(set, p));
    const pods = await claimTyped(ctx.client, {
      owner: set,
      ownerResource: STATEFUL_SETS,
      selector,
      candidates: podCandidates,
      dependents: PODS,
    });
    const revisionCandidates = this.revisions.list().filter((r) => r.metadata.namespace === namespace);
    const revisions = sortRevisions(
      await claimTyped(ctx.client, {
        owner: set,
        ownerResource: STATEFUL_SETS,
        selector,
        candidates: revisionCandidates,
        dependents: CONTROLLER_REVISIONS,
      }),
    );

    const writer = revisionWriter(ctx.client);
    const setRevisions = await syncRevisions(set, revisions, writer);
    const now = Date.now();
    const control = new StatefulPodControl(ctx.client, ctx.events, this.claims, {
      beforeCreate: () => this.expectations.expectCreations(key, 1),
      createFailed: () => this.expectations.creationObserved(key),
      beforeDelete: (_s, pod) => this.expectations.expectDeletions(key, [pod.metadata.uid!]),
      deleteFailed: (_s, pod) => this.expectations.deletionObserved(key, pod.metadata.uid!),
    });
    const outcome = await updateStatefulSet(set, setRevisions, pods, control, now);
    await this.writeStatus(ctx, set, outcome.status);
    const live = new Set([
      setRevisions.current.metadata.name!,
      setRevisions.update.metadata.name!,
      ...pods.map(podRevision),
    ]);
    for (const old of revisionsToPrune(revisions, live, spec.revisionHistoryLimit)) await writer.delete(old);
    if (outcome.error !== undefined) throw outcome.error;
    // Ready but not yet available: look again when they will be.
    if (spec.minReadySeconds > 0 && outcome.status.readyReplicas !== outcome.status.availableReplicas)
      return { requeueAfterMs: spec.minReadySeconds * 1000 };
  }

  private async writeStatus(ctx: ControllerContext, set: StatefulSet, status: StatefulSetStatusView): Promise<void> {
    completeRollingUpdate(status, !statefulSetSpec(set).onDelete);
    if (sameStatus(set, status)) return;
    try {
      await ctx.client
        .resource(STATEFUL_SETS)
        .patchStatus(
          set.metadata.namespace,
          set.metadata.name!,
          { metadata: { uid: set.metadata.uid }, status },
          'merge',
        );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private enqueueSelecting(ctx: ControllerContext, obj: KubeObject): void {
    for (const set of this.sets.list()) {
      if (
        set.metadata.namespace === obj.metadata.namespace &&
        matchesLabels(labelSelectorFromObject(statefulSetSpec(set).selector), obj.metadata.labels)
      )
        ctx.enqueue(objectKey(set));
    }
  }
}

function revisionWriter(client: KubeClient): RevisionWriter {
  const revisions = client.resource<ControllerRevision>(CONTROLLER_REVISIONS);
  return {
    create: (r) => revisions.create(r.metadata.namespace, r, { fieldManager: 'statefulset-controller' }),
    get: (ns, name) => revisions.get(ns, name),
    // A merge patch of the number alone: repeating it (a stale cache) is harmless.
    setRevisionNumber: (r, n) =>
      revisions.patch(
        r.metadata.namespace,
        r.metadata.name!,
        { metadata: { uid: r.metadata.uid }, revision: n },
        'merge',
      ),
    delete: async (r) => {
      await ignoreNotFound(
        revisions.delete(r.metadata.namespace, r.metadata.name!, { preconditions: { uid: r.metadata.uid } }),
      );
    },
  };
}

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
