import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, errorMessage, JsonValue, jsonEqual, metaTime } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import {
  Controller,
  ControllerContext,
  HORIZONTAL_POD_AUTOSCALERS,
  Informer,
  objectKey,
  PODS,
  ReconcileResult,
  Scale,
  ScaleClient,
  splitKey,
} from '@skiff/controller-runtime';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus, MetricStatus, Pod } from '@skiff/kube-types';
import { SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { ProposedCondition, setCondition } from './hpa-status';
import { MetricReplicas } from './metric-replicas';
import { Behavior, Normalized, ScalingHistory } from './scaling-rules';

/** kube-controller-manager's --horizontal-pod-autoscaler-downscale-stabilization. */
export const DOWNSCALE_STABILIZATION_MS = 5 * 60_000;

/** What one look decided, for the status. */
interface Outcome {
  currentReplicas: number;
  desiredReplicas: number;
  metrics?: MetricStatus[];
  rescaled: boolean;
}

/**
 * The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler/horizontal.go): every sync period,
 * per HPA, reads the target's /scale, computes a replica count from the pods' resource metrics
 * (metrics.k8s.io), stabilizes and rate-limits it, writes the new scale, and reports status and conditions.
 */
@Injectable()
export class HorizontalPodAutoscalerReconciler implements Controller {
  readonly name = 'horizontal-pod-autoscaler';
  // --concurrent-horizontal-pod-autoscaler-syncs.
  readonly workers = 5;
  private readonly log = new Logger(HorizontalPodAutoscalerReconciler.name);
  private readonly syncMs: number;
  private hpas!: Informer<HorizontalPodAutoscaler>;
  private metrics!: MetricReplicas;
  private history = new ScalingHistory(DOWNSCALE_STABILIZATION_MS);

  constructor(
    private readonly clock: Clock,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'hpaSyncSeconds'>,
  ) {
    this.syncMs = config.hpaSyncSeconds * 1000;
  }

  begin(ctx: ControllerContext): void {
    this.history = new ScalingHistory(DOWNSCALE_STABILIZATION_MS);
    this.hpas = ctx.informers.get<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS);
    this.metrics = new MetricReplicas(this.hpas, ctx.informers.get<Pod>(PODS));
    this.hpas.on('add', (hpa) => ctx.enqueue(objectKey(hpa)));
    // Our own status writes come back as updates: only a spec change is worth a look before the next sync.
    this.hpas.on('update', (hpa, old) => {
      if (hpa.metadata.generation !== old?.metadata.generation) ctx.enqueue(objectKey(hpa));
    });
    this.hpas.on('delete', (hpa) => ctx.enqueue(objectKey(hpa)));
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.hpas.get(namespace, name);
    if (!cached) {
      this.history.forget(key);
      this.metrics.forget(key);
      return;
    }
    const hpa: HorizontalPodAutoscaler = structuredClone({
      ...cached,
      kind: HORIZONTAL_POD_AUTOSCALERS.kind,
      apiVersion: HORIZONTAL_POD_AUTOSCALERS.apiVersion,
    });
    try {
      await this.reconcileAutoscaler(ctx, hpa, key);
    } catch (err) {
      // As upstream: logged, and looked at again at the next sync rather than retried at once.
      this.log.warn(`horizontal pod autoscaler ${key}: ${errorMessage(err)}`);
    }
    return { requeueAfterMs: this.syncMs };
  }

  private async reconcileAutoscaler(ctx: ControllerContext, hpa: HorizontalPodAutoscaler, key: string): Promise<void> {
    const nowMs = this.clock.nowMs();
    // A new HPA has no status yet: compared and grown as an empty one.
    const original = structuredClone(hpa.status ?? ({} as HorizontalPodAutoscalerStatus));
    const status: HorizontalPodAutoscalerStatus = structuredClone(original);
    const spec = hpa.spec;
    const ref = spec.scaleTargetRef;
    const reference = `${ref.kind}/${hpa.metadata.namespace}/${ref.name}`;
    const condition = (c: ProposedCondition) => setCondition(status, c, nowMs);
    const warn = (reason: string, message: string) => void ctx.events.record(hpa, 'Warning', reason, message);
    const write = (outcome?: Outcome) => this.writeStatus(ctx, hpa, original, status, outcome, nowMs);

    let scalePath: string;
    let scale: Scale;
    try {
      scalePath = await new ScaleClient(ctx.client).scalePath(hpa.metadata.namespace, {
        apiVersion: ref.apiVersion ?? '',
        kind: ref.kind,
        name: ref.name,
      });
      scale = await ctx.client.request<Scale>('GET', scalePath);
    } catch (err) {
      warn('FailedGetScale', errorMessage(err));
      condition(
        ableToScale(
          'False',
          'FailedGetScale',
          `the HPA controller was unable to get the target's current scale: ${errorMessage(err)}`,
        ),
      );
      await write();
      throw new Error(`failed to query scale subresource for ${reference}: ${errorMessage(err)}`);
    }
    condition(
      ableToScale('True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale"),
    );
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.history.recordInitial(key, currentReplicas, nowMs);
    const minReplicas = spec.minReplicas ?? 1;

    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;
    if (currentReplicas === 0 && minReplicas !== 0) {
      rescale = false;
      condition({
        type: 'ScalingActive',
        status: 'False',
        reason: 'ScalingDisabled',
        message: 'scaling is disabled since the replica count of the target is zero',
      });
    } else if (currentReplicas > spec.maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.metrics.compute(ctx, hpa, status, scale, nowMs);
      metricStatuses = computed.statuses;
      if (computed.replicas === undefined) {
        await write({
          currentReplicas,
          desiredReplicas: status.desiredReplicas ?? 0,
          metrics: metricStatuses,
          rescaled: false,
        });
        warn('FailedComputeMetricsReplicas', computed.error!);
        throw new Error(
          `failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error}`,
        );
      }
      desiredReplicas = computed.replicas;
      if (desiredReplicas > currentReplicas) rescaleReason = `${computed.metric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const input = { key, currentReplicas, desiredReplicas, minReplicas, maxReplicas: spec.maxReplicas, nowMs };
      const normalized = spec.behavior
        ? this.history.normalizeWithBehavior(input, spec.behavior as Behavior)
        : this.history.normalize(input);
      applyNormalized(status, normalized, nowMs);
      desiredReplicas = normalized.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await ctx.client.request('PUT', scalePath, {
          ...scale,
          spec: { ...scale.spec, replicas: desiredReplicas },
        });
      } catch (err) {
        warn('FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${errorMessage(err)}`);
        condition(
          ableToScale(
            'False',
            'FailedUpdateScale',
            `the HPA controller was unable to update the target scale: ${errorMessage(err)}`,
          ),
        );
        await write({
          currentReplicas,
          desiredReplicas: status.desiredReplicas ?? 0,
          metrics: metricStatuses,
          rescaled: false,
        });
        throw new Error(`failed to rescale ${reference}: ${errorMessage(err)}`);
      }
      condition(
        ableToScale(
          'True',
          'SucceededRescale',
          `the HPA controller was able to update the target scale to ${desiredReplicas}`,
        ),
      );
      void ctx.events.record(
        hpa,
        'Normal',
        'SuccessfulRescale',
        `New size: ${desiredReplicas}; reason: ${rescaleReason}`,
      );
      this.history.recordScale(key, spec.behavior as Behavior | undefined, currentReplicas, desiredReplicas, nowMs);
      this.log.log(`rescaled ${reference} from ${currentReplicas} to ${desiredReplicas}: ${rescaleReason}`);
    } else {
      desiredReplicas = currentReplicas;
    }
    await write({ currentReplicas, desiredReplicas, metrics: metricStatuses, rescaled: rescale });
  }

  /** setStatus and updateStatusIfNeeded: written through /status only when it changed. */
  private async writeStatus(
    ctx: ControllerContext,
    hpa: HorizontalPodAutoscaler,
    original: HorizontalPodAutoscalerStatus,
    status: HorizontalPodAutoscalerStatus,
    outcome: Outcome | undefined,
    nowMs: number,
  ): Promise<void> {
    const next: HorizontalPodAutoscalerStatus = outcome
      ? {
          observedGeneration: hpa.metadata.generation,
          lastScaleTime: outcome.rescaled ? metaTime(nowMs) : status.lastScaleTime,
          currentReplicas: outcome.currentReplicas,
          desiredReplicas: outcome.desiredReplicas,
          currentMetrics: outcome.metrics?.length ? outcome.metrics : undefined,
          conditions: status.conditions,
        }
      : status;
    // Compared as JSON (unset fields dropped), whatever order the stored object's keys come in.
    const compact = JSON.parse(JSON.stringify(next)) as HorizontalPodAutoscalerStatus;
    const asJson = (v: HorizontalPodAutoscalerStatus) => v as unknown as JsonValue;
    if (jsonEqual(asJson(compact), asJson(original))) return;
    try {
      await ctx.client
        .resource<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS)
        .updateStatus(hpa.metadata.namespace, { ...hpa, status: compact });
    } catch (err) {
      void ctx.events.record(hpa, 'Warning', 'FailedUpdateStatus', errorMessage(err));
      throw new Error(`failed to update status for ${hpa.metadata.name}: ${errorMessage(err)}`);
    }
  }
}

function ableToScale(status: 'True' | 'False', reason: string, message: string): ProposedCondition {
  return { type: 'AbleToScale', status, reason, message };
}

function applyNormalized(status: HorizontalPodAutoscalerStatus, n: Normalized, nowMs: number): void {
  setCondition(status, { type: 'AbleToScale', status: 'True', ...n.ableToScale }, nowMs);
  setCondition(status, { type: 'ScalingLimited', status: n.limited ? 'True' : 'False', ...n.scalingLimited }, nowMs);
}
