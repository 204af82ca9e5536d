import { Injectable } from '@nestjs/common';
import { KubeObject, labelSelectorFromObject, labelSelectorIsEverything, matchesLabels } from '@skiff/api-machinery';
import {
  ControllerContext,
  controllerRefOf,
  DEPLOYMENTS,
  Informer,
  objectKey,
  PODS,
  ReconcileResult,
  REPLICA_SETS,
  splitKey,
  Controller,
} from '@skiff/controller-runtime';
import { isAlreadyExists, isNotFound } from '@skiff/kube-client';
import type { Deployment, DeploymentCondition, Pod, ReplicaSet } from '@skiff/kube-types';
import { claimTyped } from '../controllers/claimed-objects';
import { podPhase } from '../controllers/pod-conditions';
import {
  calculateStatus,
  currentConditions,
  DeploymentStatusView,
  isComplete,
  madeProgress,
  sameDeploymentStatus,
  setCondition,
} from './deployment-status';
import {
  copiedAnnotations,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  maxRevision,
  newReplicaSet,
  podTemplateHash,
  REVISION,
  REVISION_HISTORY,
  revisionOf,
  sameTemplate,
  templateOf,
} from './deployment-revisions';
import {
  newReplicasForRollingUpdate,
  oldScaleDownBudget,
  proportionalShares,
  resolveFenceposts,
  RsCounts,
  specReplicas,
  statusCount,
} from './rollout-math';

const DEFAULT_REVISION_HISTORY_LIMIT = 10;
// progressDeadlineSeconds at MaxInt32 means no deadline (deploymentutil.HasProgressDeadline).
const MAX_INT32 = 2 ** 31 - 1;

interface Rollout {
  deployment: Deployment;
  desired: number;
  maxSurge: number;
  maxUnavailable: number;
  newRs?: ReplicaSet;
  old: ReplicaSet[];
  createdNewRs: boolean;
}

/**
 * Rolls Deployments out through pod-template-hash ReplicaSets (pkg/controller/deployment):
 * RollingUpdate within maxSurge/maxUnavailable as pods become available, Recreate, scaling
 * proportionally, pause, revision history, and the Progressing/Available conditions that
 * `kubectl rollout status` reads.
 */
@Injectable()
export class DeploymentReconciler implements Controller {
  readonly name = 'deployment-controller';
  readonly workers = 5;
  private deployments!: Informer<Deployment>;
  private replicaSets!: Informer<ReplicaSet>;
  private pods!: Informer<Pod>;

  begin(ctx: ControllerContext): void {
    this.deployments = ctx.informers.get<Deployment>(DEPLOYMENTS);
    this.replicaSets = ctx.informers.get<ReplicaSet>(REPLICA_SETS);
    this.pods = ctx.informers.get<Pod>(PODS);
    for (const event of ['add', 'update', 'delete'] as const) {
      this.deployments.on(event, (d) => ctx.enqueue(objectKey(d)));
      this.replicaSets.on(event, (rs) => this.enqueueForReplicaSet(ctx, rs));
    }
    // Recreate waits for old pods to be gone.
    this.pods.on('delete', (pod) => {
      const rsRef = controllerRefOf(pod);
      const rs = rsRef?.kind === 'ReplicaSet' ? this.replicaSets.get(pod.metadata.namespace, rsRef.name) : undefined;
      if (rs) this.enqueueForReplicaSet(ctx, rs);
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const deployment = this.deployments.get(namespace, name);
    if (!deployment) return;
    const spec = deployment.spec;
    const selector = labelSelectorFromObject(spec.selector);
    if (labelSelectorIsEverything(selector)) {
      void ctx.events.record(
        withKind(deployment),
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      return;
    }
    const candidates = this.replicaSets.list().filter((rs) => rs.metadata.namespace === namespace);
    const owned = await claimTyped(ctx.client, {
      owner: deployment,
      ownerResource: DEPLOYMENTS,
      selector,
      candidates,
      dependents: REPLICA_SETS,
    });
    const { maxSurge, maxUnavailable } = resolveFenceposts(deployment);
    const desired = spec.replicas ?? 1;
    const template = templateOf(deployment);
    const matching = owned.filter((rs) => sameTemplate(templateOf(rs), template)).sort(byCreation);
    const r: Rollout = {
      deployment,
      desired,
      maxSurge,
      maxUnavailable,
      newRs: matching[0],
      old: owned.filter((rs) => rs !== matching[0]),
      createdNewRs: false,
    };
    if (deployment.metadata.deletionTimestamp) return this.writeStatus(ctx, r, 'statusOnly');
    if (spec.paused === true || this.isScalingEvent(r)) {
      await this.syncRevision(ctx, r);
      await this.scale(ctx, r);
      if (spec.paused === true) await this.cleanupHistory(ctx, r);
      return this.writeStatus(ctx, r, spec.paused === true ? 'paused' : 'statusOnly');
    }
    const strategy = spec.strategy?.type;
    return strategy === 'Recreate' ? this.rolloutRecreate(ctx, r) : this.rolloutRolling(ctx, r);
  }

  private async rolloutRolling(ctx: ControllerContext, r: Rollout): Promise<ReconcileResult | void> {
    await this.ensureNewReplicaSet(ctx, r);
    const newRs = r.newRs!;
    const all = [newRs, ...r.old];
    const target =
      specReplicas(newRs) > r.desired
        ? r.desired
        : newReplicasForRollingUpdate(r.desired, r.maxSurge, counts(newRs), all.map(counts));
    if (target !== specReplicas(newRs)) {
      r.newRs = await this.scaleReplicaSet(ctx, r, newRs, target);
      return this.writeStatus(ctx, r, 'rollout');
    }
    await this.scaleDownOld(ctx, r);
    return this.writeStatus(ctx, r, 'rollout');
  }

  /** Old ReplicaSets shrink first where pods are unhealthy, then as far as availability allows. */
  private async scaleDownOld(ctx: ControllerContext, r: Rollout): Promise<void> {
    const newRs = r.newRs!;
    if (r.old.every((rs) => specReplicas(rs) === 0)) return;
    let budget = oldScaleDownBudget(r.desired, r.maxUnavailable, counts(newRs), [newRs, ...r.old].map(counts));
    if (budget <= 0) return;
    const oldestFirst = [...r.old].sort(byCreation);
    for (let i = 0; i < oldestFirst.length && budget > 0; i++) {
      const rs = oldestFirst[i];
      const unhealthy = specReplicas(rs) - statusCount(rs, 'availableReplicas');
      if (unhealthy <= 0) continue;
      const down = Math.min(budget, unhealthy);
      oldestFirst[i] = await this.scaleReplicaSet(ctx, r, rs, specReplicas(rs) - down);
      budget -= down;
    }
    const available = [newRs, ...oldestFirst].reduce((n, rs) => n + statusCount(rs, 'availableReplicas'), 0);
    let total = available - (r.desired - r.maxUnavailable);
    for (let i = 0; i < oldestFirst.length && total > 0; i++) {
      const rs = oldestFirst[i];
      if (specReplicas(rs) === 0) continue;
      const down = Math.min(specReplicas(rs), total);
      oldestFirst[i] = await this.scaleReplicaSet(ctx, r, rs, specReplicas(rs) - down);
      total -= down;
    }
    r.old = oldestFirst;
  }

  private async rolloutRecreate(ctx: ControllerContext, r: Rollout): Promise<ReconcileResult | void> {
    await this.syncRevision(ctx, r);
    let scaledDown = false;
    for (let i = 0; i < r.old.length; i++) {
      if (specReplicas(r.old[i]) === 0) continue;
      r.old[i] = await this.scaleReplicaSet(ctx, r, r.old[i], 0);
      scaledDown = true;
    }
    const oldUids = new Set(r.old.map((rs) => rs.metadata.uid));
    const oldPodsLeft = this.pods
      .list()
      .some((p) => oldUids.has(controllerRefOf(p)?.uid) && podPhase(p) !== 'Failed' && podPhase(p) !== 'Succeeded');
    if (scaledDown || oldPodsLeft) return this.writeStatus(ctx, r, 'rollout');
    await this.ensureNewReplicaSet(ctx, r);
    if (specReplicas(r.newRs!) !== r.desired) r.newRs = await this.scaleReplicaSet(ctx, r, r.newRs!, r.desired);
    return this.writeStatus(ctx, r, 'rollout');
  }

  /** Replica count changed without a template change: resize the active ReplicaSets (proportionally while rolling). */
  private async scale(ctx: ControllerContext, r: Rollout): Promise<void> {
    const all = [...(r.newRs ? [r.newRs] : []), ...r.old];
    const active = all.filter((rs) => specReplicas(rs) > 0);
    if (active.length <= 1) {
      const only = active[0] ?? r.newRs ?? [...r.old].sort(byRevision).pop();
      if (only) await this.scaleReplicaSet(ctx, r, only, r.desired);
      return;
    }
    if (r.newRs && specReplicas(r.newRs) === r.desired && statusCount(r.newRs, 'availableReplicas') === r.desired) {
      for (const rs of r.old) if (specReplicas(rs) > 0) await this.scaleReplicaSet(ctx, r, rs, 0);
      return;
    }
    const allowed = r.desired > 0 ? r.desired + r.maxSurge : 0;
    const toAdd = allowed - active.reduce((n, rs) => n + specReplicas(rs), 0);
    // Newest first, so rounding favours the new ReplicaSet when growing.
    const ordered = [...active].sort((a, b) => byCreation(b, a));
    const shares = proportionalShares(ordered.map(specReplicas), toAdd);
    // Every active ReplicaSet is written, also with no share: its desired-replicas annotation must follow, or this stays a scaling event.
    for (let i = 0; i < ordered.length; i++)
      await this.scaleReplicaSet(ctx, r, ordered[i], specReplicas(ordered[i]) + shares[i]);
  }

  /** Finds or creates the ReplicaSet of the current template and gives it the newest revision. */
  private async ensureNewReplicaSet(ctx: ControllerContext, r: Rollout): Promise<void> {
    if (r.newRs) return this.syncRevision(ctx, r);
    const d = r.deployment;
    const collisionCount = d.status?.collisionCount ?? 0;
    const hash = podTemplateHash(templateOf(d), collisionCount);
    const isRolling = d.spec.strategy?.type !== 'Recreate';
    const replicas = isRolling
      ? newReplicasForRollingUpdate(r.desired, r.maxSurge, { spec: 0, available: 0 }, r.old.map(counts))
      : r.desired;
    const revision = maxRevision(r.old) + 1;
    const client = ctx.client.resource<ReplicaSet>(REPLICA_SETS);
    try {
      r.newRs = await client.create(d.metadata.namespace, newReplicaSet(d, hash, revision, replicas, r.maxSurge));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get(d.metadata.namespace, `${d.metadata.name}-${hash}`);
      if (controllerRefOf(existing)?.uid === d.metadata.uid && sameTemplate(templateOf(existing), templateOf(d))) {
        r.newRs = existing;
        return this.syncRevision(ctx, r);
      }
      // Someone else's ReplicaSet has this name: count the collision so the next hash differs.
      await ctx.client
        .resource(DEPLOYMENTS)
        .patchStatus(
          d.metadata.namespace,
          d.metadata.name!,
          { status: { collisionCount: collisionCount + 1 } },
          'merge',
        );
      throw new Error(
        `ReplicaSet name ${d.metadata.name}-${hash} is taken; collisionCount is now ${collisionCount + 1}`,
        { cause: err },
      );
    }
    r.createdNewRs = true;
    if (replicas > 0)
      void ctx.events.record(
        withKind(d),
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${r.newRs.metadata.name} from 0 to ${replicas}`,
      );
    await this.setDeploymentRevision(ctx, r, revision);
  }

  /** The new ReplicaSet carries the highest revision (a rollback re-numbers an old one) and the Deployment's annotations. */
  private async syncRevision(ctx: ControllerContext, r: Rollout): Promise<void> {
    const rs = r.newRs;
    if (!rs) return;
    const current = revisionOf(rs);
    const revision = Math.max(current, maxRevision(r.old) + 1);
    const annotations: Record<string, string> = { ...copiedAnnotations(r.deployment), [REVISION]: String(revision) };
    if (revision !== current && current > 0) {
      const history = rs.metadata.annotations?.[REVISION_HISTORY];
      annotations[REVISION_HISTORY] = history ? `${history},${current}` : String(current);
    }
    const minReadySeconds = r.deployment.spec.minReadySeconds ?? 0;
    const stale =
      Object.entries(annotations).some(([k, v]) => rs.metadata.annotations?.[k] !== v) ||
      (rs.spec.minReadySeconds ?? 0) !== minReadySeconds;
    if (stale) {
      r.newRs = await ctx.client
        .resource<ReplicaSet>(REPLICA_SETS)
        .patch(
          rs.metadata.namespace,
          rs.metadata.name!,
          { metadata: { resourceVersion: rs.metadata.resourceVersion, annotations }, spec: { minReadySeconds } },
          'merge',
        );
    }
    await this.setDeploymentRevision(ctx, r, revision);
  }

  private async setDeploymentRevision(ctx: ControllerContext, r: Rollout, revision: number): Promise<void> {
    const d = r.deployment;
    if (d.metadata.annotations?.[REVISION] === String(revision)) return;
    // Guarded by resourceVersion: status written later in this pass must describe this generation, not a newer one.
    const patch = {
      metadata: { resourceVersion: d.metadata.resourceVersion, annotations: { [REVISION]: String(revision) } },
    };
    r.deployment = await ctx.client
      .resource<Deployment>(DEPLOYMENTS)
      .patch(d.metadata.namespace, d.metadata.name!, patch, 'merge');
  }

  private async scaleReplicaSet(
    ctx: ControllerContext,
    r: Rollout,
    rs: ReplicaSet,
    replicas: number,
  ): Promise<ReplicaSet> {
    const desired = String(r.desired);
    const max = String(r.desired + r.maxSurge);
    const from = specReplicas(rs);
    if (
      from === replicas &&
      rs.metadata.annotations?.[DESIRED_REPLICAS] === desired &&
      rs.metadata.annotations?.[MAX_REPLICAS] === max
    )
      return rs;
    const patch = {
      metadata: {
        resourceVersion: rs.metadata.resourceVersion,
        annotations: { [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max },
      },
      spec: { replicas },
    };
    const updated = await ctx.client
      .resource<ReplicaSet>(REPLICA_SETS)
      .patch(rs.metadata.namespace, rs.metadata.name!, patch, 'merge');
    if (from !== replicas) {
      void ctx.events.record(
        withKind(r.deployment),
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
      );
    }
    return updated;
  }

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanupHistory(ctx: ControllerContext, r: Rollout): Promise<void> {
    const limit = r.deployment.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const idle = r.old
      .filter(
        (rs) =>
          specReplicas(rs) === 0 &&
          statusCount(rs, 'replicas') === 0 &&
          !rs.metadata.deletionTimestamp &&
          (rs.status ? rs.status.observedGeneration : 0) === rs.metadata.generation,
      )
      .sort(byRevision);
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await ctx.client.resource(REPLICA_SETS).delete(rs.metadata.namespace, rs.metadata.name!, {
          propagationPolicy: 'Background',
          preconditions: { uid: rs.metadata.uid },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async writeStatus(
    ctx: ControllerContext,
    r: Rollout,
    mode: 'rollout' | 'paused' | 'statusOnly',
  ): Promise<ReconcileResult | void> {
    const d = r.deployment;
    const all = [...(r.newRs ? [r.newRs] : []), ...r.old];
    const now = new Date().toISOString();
    const status = calculateStatus(d, all, r.newRs, r.maxUnavailable, now);
    const complete = isComplete(d, status);
    if (complete && mode === 'rollout') await this.cleanupHistory(ctx, r);
    let requeueAfterMs: number | undefined;
    if (mode === 'paused') {
      status.conditions = setCondition(
        status.conditions,
        { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' },
        now,
      );
    } else if (currentConditions(d).find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused') {
      status.conditions = setCondition(
        status.conditions,
        { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' },
        now,
      );
    } else if (mode === 'rollout') {
      requeueAfterMs = this.progress(d, r, status, complete, now);
    }
    status.conditions = withReplicaFailure(status.conditions, r.newRs, now);
    if (!sameDeploymentStatus(d.status, status)) {
      try {
        await ctx.client
          .resource(DEPLOYMENTS)
          .patchStatus(d.metadata.namespace, d.metadata.name!, { metadata: { uid: d.metadata.uid }, status }, 'merge');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  /** The Progressing condition (syncRolloutStatus); returns when to look again for the deadline. */
  private progress(
    d: Deployment,
    r: Rollout,
    status: DeploymentStatusView,
    complete: boolean,
    now: string,
  ): number | undefined {
    const rsName = r.newRs?.metadata.name ?? '';
    const seconds = d.spec.progressDeadlineSeconds;
    const deadline = seconds !== undefined && seconds < MAX_INT32 ? seconds : undefined;
    const previous = currentConditions(d).find((c) => c.type === 'Progressing');
    // The last rollout completed and nothing new is rolling: no progress to estimate (a resync, a scale, a crashed pod).
    if (
      deadline === undefined ||
      (status.replicas === status.updatedReplicas && previous?.reason === 'NewReplicaSetAvailable')
    )
      return undefined;
    if (complete) {
      status.conditions = setCondition(
        status.conditions,
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
        },
        now,
      );
      return undefined;
    }
    const current = status.conditions.find((c) => c.type === 'Progressing');
    if (r.createdNewRs || madeProgress(d, status)) {
      const reason = r.createdNewRs ? 'NewReplicaSetCreated' : 'ReplicaSetUpdated';
      const message = r.createdNewRs ? `Created new replica set "${rsName}"` : `ReplicaSet "${rsName}" is progressing.`;
      // Progress refreshes lastUpdateTime even when the condition stays the same: the deadline counts from it.
      const kept = current?.status === 'True' ? current.lastTransitionTime : now;
      status.conditions = [
        ...status.conditions.filter((c) => c.type !== 'Progressing'),
        { type: 'Progressing', status: 'True', reason, message, lastUpdateTime: now, lastTransitionTime: kept },
      ];
      return deadline * 1000 + 500;
    }
    // As upstream's DeploymentTimedOut: a completed condition never times out, an expired one stays expired.
    if (!current || current.reason === 'NewReplicaSetAvailable' || current.reason === 'ProgressDeadlineExceeded')
      return undefined;
    const left = Date.parse(current.lastUpdateTime ?? '') + deadline * 1000 - Date.parse(now);
    if (left > 0) return left + 500;
    status.conditions = setCondition(
      status.conditions,
      {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      },
      now,
    );
    return undefined;
  }

  /** An active ReplicaSet was sized for another replica count (also when the template changed at the same time). */
  private isScalingEvent(r: Rollout): boolean {
    return [...(r.newRs ? [r.newRs] : []), ...r.old].some(
      (rs) =>
        specReplicas(rs) > 0 &&
        rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined &&
        rs.metadata.annotations[DESIRED_REPLICAS] !== String(r.desired),
    );
  }

  private enqueueForReplicaSet(ctx: ControllerContext, rs: ReplicaSet): void {
    const ref = controllerRefOf(rs);
    if (ref) {
      if (ref.kind === 'Deployment') ctx.enqueue(`${rs.metadata.namespace}/${ref.name}`);
      return;
    }
    for (const d of this.deployments.list()) {
      if (
        d.metadata.namespace === rs.metadata.namespace &&
        matchesLabels(labelSelectorFromObject(d.spec.selector), rs.metadata.labels)
      )
        ctx.enqueue(objectKey(d));
    }
  }
}

function counts(rs: ReplicaSet): RsCounts {
  return { spec: specReplicas(rs), available: statusCount(rs, 'availableReplicas') };
}

function byCreation(a: KubeObject, b: KubeObject): number {
  return (
    Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') ||
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
  );
}

function byRevision(a: KubeObject, b: KubeObject): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

function withReplicaFailure(
  conditions: DeploymentCondition[],
  newRs: ReplicaSet | undefined,
  now: string,
): DeploymentCondition[] {
  const rsConditions = newRs?.status?.conditions ?? [];
  const failure = rsConditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (!failure) return conditions.filter((c) => c.type !== 'ReplicaFailure');
  return setCondition(
    conditions,
    { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message },
    now,
  );
}

function withKind(d: Deployment): Deployment {
  return { ...d, apiVersion: DEPLOYMENTS.apiVersion, kind: DEPLOYMENTS.kind };
}
