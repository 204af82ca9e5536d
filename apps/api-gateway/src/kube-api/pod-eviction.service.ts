import { Injectable } from '@nestjs/common';
import {
  ApiError,
  Clock,
  isJsonObject,
  JsonObject,
  KubeObject,
  LabelMatcher,
  LabelSelector,
  labelSelectorFromObject,
  matchesLabels,
  Status,
} from '@skiff/api-machinery';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { ObjectKey } from '../storage/object-key';
import { DeleteOptions, deleteOptionsOf, DeletionService } from './deletion.service';
import { timestamp } from './object-meta';
import { ResourceContext } from './resource-context';

// EvictionsRetry: 20 tries, 500 ms apart (upstream adds 10 % jitter).
const RETRY_STEPS = 20;
const RETRY_DELAY_MS = 500;
// MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet.
const MAX_DISRUPTED_POD_SIZE = 2000;
const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];
const TOO_MANY_REQUESTS = "Cannot evict pod as it would violate the pod's disruption budget.";

/** What the eviction subresource answers: a Status, with its HTTP code. */
export interface EvictionOutcome {
  code: number;
  body: Status;
}

interface Budget extends KubeObject {
  spec?: { selector?: LabelSelector; unhealthyPodEvictionPolicy?: string };
  status?: {
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    conditions?: BudgetCondition[];
  };
}

interface BudgetCondition {
  type: string;
  status: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

class ConflictRetry extends Error {}

function disruptionBudgetError(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', TOO_MANY_REQUESTS, {
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
    causes: [{ reason: 'DisruptionBudget', message }],
  });
}

// createTooManyRequestsError: the budget's status is older than its spec, or the pod changed under us.
function budgetBeingProcessed(name: string): ApiError {
  return disruptionBudgetError(`The disruption budget ${name} is still being processed by the server.`, 10);
}

function phaseOf(pod: KubeObject): string | undefined {
  return isJsonObject(pod.status) && typeof pod.status.phase === 'string' ? pod.status.phase : undefined;
}

function isPodReady(pod: KubeObject): boolean {
  const conditions = isJsonObject(pod.status) && Array.isArray(pod.status.conditions) ? pod.status.conditions : [];
  return conditions.some((c) => isJsonObject(c) && c.type === 'Ready' && c.status === 'True');
}

// A terminal, pending or terminating pod has already been disrupted (or never ran): no budget is consulted.
function canIgnoreBudget(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

function shouldEnforceResourceVersion(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp);
}

function withResourceVersion(opts: DeleteOptions, resourceVersion: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...opts.preconditions, resourceVersion } };
}

/**
 * pods/eviction, as kube-apiserver's EvictionREST: a pod guarded by a PodDisruptionBudget is
 * deleted only when the budget allows a disruption, which is taken from the budget's status
 * (under optimistic concurrency) before the pod goes; other pods are deleted at once.
 */
@Injectable()
export class PodEvictionService {
  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly deletion: DeletionService,
    private readonly clock: Clock,
  ) {}

  async evict(ctx: ResourceContext, name: string, body: JsonObject, query: URLSearchParams): Promise<EvictionOutcome> {
    const options = this.evictionOptions(ctx, name, body, query);
    const podCtx: ResourceContext = { ...ctx, info: { ...ctx.info, verb: 'delete', subresource: undefined } };
    const rvUnset = options.preconditions?.resourceVersion === undefined;

    // Pods that no budget guards go at once (retried on conflict unless the caller pinned a resourceVersion).
    const pod = await this.retrying(rvUnset, async () => {
      const current = await this.getPod(ctx, name);
      if (!canIgnoreBudget(current)) return current;
      const opts =
        shouldEnforceResourceVersion(current) && rvUnset
          ? withResourceVersion(options, current.metadata.resourceVersion)
          : options;
      await this.markAndDelete(podCtx, name, opts);
      return undefined;
    });
    if (!pod) return success();

    const budgets = await this.budgetsFor(pod);
    if (budgets.length > 1) {
      return {
        code: 500,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
          code: 500,
        },
      };
    }
    let pinToPod = false;
    const budget = budgets[0];
    if (budget) {
      const status = budget.status ?? {};
      const unhealthy = !isPodReady(pod);
      // An unready pod does not count as healthy: deleting it costs the budget nothing when the
      // policy says so, or when the application is not disrupted right now.
      if (
        unhealthy &&
        (budget.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
          ((status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0))
      ) {
        pinToPod = true;
      } else {
        await this.takeDisruption(budget, name, options.dryRun);
      }
    }
    // An unready pod deleted for free must still be the pod we judged (it may have become ready since).
    const opts = pinToPod ? withResourceVersion(options, pod.metadata.resourceVersion) : options;
    try {
      await this.markAndDelete(podCtx, name, opts);
    } catch (err) {
      if (err instanceof ApiError && err.code === 409 && pinToPod && rvUnset)
        throw budgetBeingProcessed(budget!.metadata.name!);
      throw err;
    }
    return success();
  }

  /** The Eviction body checked against the URL, and its DeleteOptions with the request's dryRun (propagateDryRun). */
  private evictionOptions(ctx: ResourceContext, name: string, body: JsonObject, query: URLSearchParams): DeleteOptions {
    if (body.kind !== undefined && body.kind !== 'Eviction') {
      throw ApiError.badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (Eviction)`,
      );
    }
    if (body.apiVersion !== undefined && !EVICTION_VERSIONS.includes(String(body.apiVersion))) {
      throw ApiError.badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (policy/v1)`,
      );
    }
    const meta = isJsonObject(body.metadata) ? body.metadata : {};
    if (typeof meta.namespace === 'string' && meta.namespace !== '' && meta.namespace !== ctx.namespace) {
      throw ApiError.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (meta.name !== name) throw ApiError.badRequest('name in URL does not match name in Eviction object');
    const requested = query.getAll('dryRun');
    if (requested.some((d) => d !== 'All'))
      throw ApiError.badRequest(`dryRun: Unsupported value: "${requested.join(',')}": supported values: "All"`);
    const raw: JsonObject = isJsonObject(body.deleteOptions) ? body.deleteOptions : {};
    const inBody = Array.isArray(raw.dryRun) ? raw.dryRun.map(String) : [];
    if (inBody.length > 0 && requested.length > 0 && inBody.join('\0') !== requested.join('\0')) {
      throw ApiError.internal(
        `Non-matching dry-run options in request and content: [${requested.join(' ')}] and [${inBody.join(' ')}]`,
      );
    }
    const opts = deleteOptionsOf(raw, new URLSearchParams());
    return { ...opts, dryRun: opts.dryRun || requested.includes('All') };
  }

  private async getPod(ctx: ResourceContext, name: string): Promise<KubeObject> {
    const pod = await this.store.get({ group: '', resource: 'pods', namespace: ctx.namespace, name });
    if (!pod) throw ApiError.notFound({ group: '', resource: 'pods', name });
    return pod;
  }

  /** The budgets in the pod's namespace whose selector selects it; a nil, empty or invalid selector selects nothing. */
  private async budgetsFor(pod: KubeObject): Promise<Budget[]> {
    const list = await this.store.list({
      group: 'policy',
      resource: 'poddisruptionbudgets',
      namespace: pod.metadata.namespace ?? '',
    });
    return (list.items as Budget[]).filter((b) => {
      let selector: LabelMatcher;
      try {
        selector = labelSelectorFromObject(b.spec?.selector);
      } catch {
        return false;
      }
      return selector.requirements.length > 0 && matchesLabels(selector, pod.metadata.labels);
    });
  }

  /** checkAndDecrement, retried with a fresh read when the budget changed meanwhile. */
  private async takeDisruption(first: Budget, podName: string, dryRun: boolean): Promise<void> {
    let budget: Budget | undefined = first;
    for (let attempt = 1; ; attempt++) {
      if (!budget)
        throw ApiError.notFound({ group: 'policy', resource: 'poddisruptionbudgets', name: first.metadata.name });
      try {
        await this.checkAndDecrement(budget, podName, dryRun);
        return;
      } catch (err) {
        if (!(err instanceof ConflictRetry)) throw err;
        if (attempt >= RETRY_STEPS)
          throw new ApiError(
            504,
            'Timeout',
            `Timeout: couldn't update PodDisruptionBudget "${first.metadata.name}" due to conflicts`,
            { retryAfterSeconds: 10 },
          );
      }
      await sleep(RETRY_DELAY_MS * (1 + Math.random() * 0.1));
      budget = (await this.store.get(budgetKey(first))) as Budget | undefined;
    }
  }

  private async checkAndDecrement(budget: Budget, podName: string, dryRun: boolean): Promise<void> {
    const name = budget.metadata.name!;
    const status = budget.status ?? {};
    if ((status.observedGeneration ?? 0) < (budget.metadata.generation ?? 0)) throw budgetBeingProcessed(name);
    const allowed = status.disruptionsAllowed ?? 0;
    const subject = { group: 'policy', resource: 'poddisruptionbudget', name };
    if (allowed < 0) throw ApiError.forbidden(subject, 'pdb disruptions allowed is negative');
    if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
      throw ApiError.forbidden(
        subject,
        'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
      );
    }
    if (allowed === 0) {
      throw disruptionBudgetError(
        `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
        0,
      );
    }
    if (dryRun) return;
    const now = timestamp(this.clock.now());
    const next = {
      ...status,
      disruptionsAllowed: allowed - 1,
      disruptedPods: { ...status.disruptedPods, [podName]: now },
    };
    if (next.disruptionsAllowed === 0)
      next.conditions = insufficientPods(status.conditions ?? [], status.observedGeneration ?? 0, now);
    // UpdateStatus with the resourceVersion we judged: a concurrent eviction that took the last disruption wins, we re-read.
    await this.store.write(budgetKey(budget), (current) => {
      if (!current) throw ApiError.notFound({ group: 'policy', resource: 'poddisruptionbudgets', name });
      if (current.metadata.resourceVersion !== budget.metadata.resourceVersion) throw new ConflictRetry();
      return { op: 'update', object: { ...current, status: next } };
    });
  }

  /** addConditionAndDeletePod: the DisruptionTarget condition first, so the pod's owner can tell why it went. */
  private async markAndDelete(podCtx: ResourceContext, name: string, opts: DeleteOptions): Promise<void> {
    let options = opts;
    if (!opts.dryRun) {
      const key: ObjectKey = { group: '', resource: 'pods', namespace: podCtx.namespace, name };
      const now = timestamp(this.clock.now());
      const res = await this.store.write(key, (current) => {
        if (!current) throw ApiError.notFound({ group: '', resource: 'pods', name });
        const { uid, resourceVersion } = opts.preconditions ?? {};
        const subject = { group: '', resource: 'Pod', name };
        if (uid && uid !== current.metadata.uid) {
          throw ApiError.conflict(
            subject,
            `the UID in the precondition (${uid}) does not match the UID in record (${current.metadata.uid}). The object might have been deleted and then recreated`,
          );
        }
        if (resourceVersion && resourceVersion !== current.metadata.resourceVersion) {
          throw ApiError.conflict(
            subject,
            `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${current.metadata.resourceVersion}). The object might have been modified`,
          );
        }
        const marked = withDisruptionTarget(current, now);
        return marked ? { op: 'update', object: marked } : { op: 'none', object: current };
      });
      // We changed the pod ourselves: a pinned resourceVersion moves with it.
      if (opts.preconditions?.resourceVersion !== undefined)
        options = withResourceVersion(opts, res.object?.metadata.resourceVersion);
    }
    await this.deletion.delete(podCtx, name, options);
  }

  private async retrying<T>(retryConflicts: boolean, attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!retryConflicts || !(err instanceof ApiError && err.code === 409) || i >= RETRY_STEPS) throw err;
      }
      await sleep(RETRY_DELAY_MS * (1 + Math.random() * 0.1));
    }
  }
}

function budgetKey(b: KubeObject): ObjectKey {
  return {
    group: 'policy',
    resource: 'poddisruptionbudgets',
    namespace: b.metadata.namespace ?? '',
    name: b.metadata.name!,
  };
}

function success(): EvictionOutcome {
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}

// pdbhelper.UpdateDisruptionAllowedCondition once the last disruption is taken (apimeta.SetStatusCondition).
function insufficientPods(conditions: BudgetCondition[], observedGeneration: number, now: string): BudgetCondition[] {
  const old = conditions.find((c) => c.type === 'DisruptionAllowed');
  const next: BudgetCondition = {
    type: 'DisruptionAllowed',
    status: 'False',
    observedGeneration,
    lastTransitionTime: old && old.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : now,
    reason: 'InsufficientPods',
    message: '',
  };
  return [...conditions.filter((c) => c.type !== 'DisruptionAllowed'), next];
}

// podutil.UpdatePodCondition: the transition time moves only when the status changes.
function withDisruptionTarget(pod: KubeObject, now: string): KubeObject | undefined {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
  const old = conditions.find((c) => c.type === 'DisruptionTarget');
  const next = {
    type: 'DisruptionTarget',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: old && old.status === 'True' ? (old.lastTransitionTime ?? now) : now,
    reason: 'EvictionByEvictionAPI',
    message: 'Eviction API: evicting',
  };
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return undefined;
  const kept = conditions.map((c) => (c.type === 'DisruptionTarget' ? next : c));
  return { ...pod, status: { ...status, conditions: old ? kept : [...kept, next] } };
}
