import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Clock,
  errorMessage,
  formatQuantity,
  KubeObject,
  LabelMatcher,
  matchesLabels,
  metaTime,
  parseLabelSelector,
} from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import {
  Controller,
  ControllerContext,
  HORIZONTAL_POD_AUTOSCALERS,
  Informer,
  objectKey,
  PODS,
  ReconcileResult,
  splitKey,
} from '@skiff/controller-runtime';
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
  Pod,
} from '@skiff/kube-types';
import { discoverResource, groupOf, scalePath, ScalableResource } from '../controllers/scale-subresource';
import { SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { ProposedCondition, setCondition } from './hpa-status';
import {
  DEFAULT_CALCULATOR_SETTINGS,
  milliValue,
  PodMetricsInfo,
  rawResourceReplicas,
  ResourceReplicasInput,
  resourceReplicas,
} from './replica-calculator';
import { resourceMetric } from './resource-metrics';
import { Behavior, Normalized, ScalingHistory } from './scaling-rules';

/** kube-controller-manager's --horizontal-pod-autoscaler-downscale-stabilization. */
export const DOWNSCALE_STABILIZATION_MS = 5 * 60_000;

/** The autoscaling/v1 Scale a /scale subresource serves. */
interface Scale extends KubeObject {
  spec: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** A metric's result: a replica proposal and its status, or the condition and error of its failure. */
type MetricResult =
  { replicas: number; name: string; status: MetricStatus } | { error: string; condition: ProposedCondition };

interface MetricValueStatus {
  averageUtilization?: number;
  averageValue?: string;
}

interface SelectedPods {
  selector: string;
  pods: Pod[];
}

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
  private pods!: Informer<Pod>;
  private history = new ScalingHistory(DOWNSCALE_STABILIZATION_MS);
  // The selector each HPA last used, to find pods two HPAs claim.
  private selectors = new Map<string, LabelMatcher>();

  constructor(
    private readonly clock: Clock,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'hpaSyncSeconds'>,
  ) {
    this.syncMs = config.hpaSyncSeconds * 1000;
  }

  begin(ctx: ControllerContext): void {
    this.history = new ScalingHistory(DOWNSCALE_STABILIZATION_MS);
    this.selectors = new Map();
    this.hpas = ctx.informers.get<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS);
    this.pods = ctx.informers.get<Pod>(PODS);
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
      this.selectors.delete(key);
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

    let target: ScalableResource;
    let scale: Scale;
    try {
      target = await this.resolve(ctx, ref.apiVersion ?? '', ref.kind);
      scale = await ctx.client.request<Scale>('GET', scalePath(target, hpa.metadata.namespace, ref.name));
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
    const currentReplicas = scale.spec.replicas ?? 0;
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
      const computed = await this.computeReplicasForMetrics(ctx, hpa, status, scale, nowMs);
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
        await ctx.client.request('PUT', scalePath(target, hpa.metadata.namespace, ref.name), {
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

  /** The resource of the target's kind (a RESTMapping); errors worded as the REST mapper's. */
  private async resolve(ctx: ControllerContext, apiVersion: string, kind: string): Promise<ScalableResource> {
    const group = groupOf(apiVersion);
    const target = await discoverResource(ctx.client, apiVersion, kind);
    if (!target) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    return target;
  }

  /**
   * computeReplicasForMetrics: the highest proposal over the metrics. When every metric fails, or some
   * fail and the rest would scale down, no count is proposed and the first failure sets ScalingActive.
   */
  private async computeReplicasForMetrics(
    ctx: ControllerContext,
    hpa: HorizontalPodAutoscaler,
    status: HorizontalPodAutoscalerStatus,
    scale: Scale,
    nowMs: number,
  ): Promise<{ replicas?: number; metric?: string; statuses?: MetricStatus[]; error?: string }> {
    const selected = this.validateSelector(ctx, hpa, status, scale.status?.selector ?? '', nowMs);
    if ('error' in selected) return { error: selected.error };
    const specs = hpa.spec.metrics ?? [];
    const specReplicas = scale.spec.replicas ?? 0;
    // Upstream leaves a failed metric's status empty.
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let first: Extract<MetricResult, { error: string }> | undefined;
    for (const [i, spec] of specs.entries()) {
      const result = await this.computeReplicasForMetric(ctx, hpa, spec, specReplicas, selected, nowMs);
      if ('error' in result) {
        first ??= result;
        invalid++;
        continue;
      }
      statuses[i] = result.status;
      if (replicas === 0 || result.replicas > replicas) {
        replicas = result.replicas;
        metric = result.name;
      }
    }
    const error =
      first && `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.error}`;
    if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
      if (first) setCondition(status, first.condition, nowMs);
      return { statuses, error: error ?? 'no metrics to compute a replica count from' };
    }
    setCondition(
      status,
      {
        type: 'ScalingActive',
        status: 'True',
        reason: 'ValidMetricFound',
        message: `the HPA was able to successfully calculate a replica count from ${metric}`,
      },
      nowMs,
    );
    if (error) this.log.warn(`horizontal pod autoscaler ${objectKey(hpa)}: ${error}`);
    return { replicas, metric, statuses };
  }

  /** validateAndParseSelector: the scale's selector, which no other HPA's selector may share pods with. */
  private validateSelector(
    ctx: ControllerContext,
    hpa: HorizontalPodAutoscaler,
    status: HorizontalPodAutoscalerStatus,
    selector: string,
    nowMs: number,
  ): SelectedPods | { error: string } {
    const invalid = (reason: string, message: string, eventReason = reason, eventMessage = message) => {
      void ctx.events.record(hpa, 'Warning', eventReason, eventMessage);
      setCondition(status, { type: 'ScalingActive', status: 'False', reason, message }, nowMs);
      return { error: eventMessage };
    };
    if (selector === '')
      return invalid(
        'InvalidSelector',
        "the HPA target's scale is missing a selector",
        'SelectorRequired',
        'selector is required',
      );
    let matcher: LabelMatcher;
    try {
      matcher = parseLabelSelector(selector);
    } catch (err) {
      return invalid(
        'InvalidSelector',
        `couldn't convert selector into a corresponding internal selector object: ${errorMessage(err)}`,
      );
    }
    const key = objectKey(hpa);
    this.selectors.set(key, matcher);
    const pods = this.pods
      .list()
      .filter((p) => p.metadata.namespace === hpa.metadata.namespace && matchesLabels(matcher, p.metadata.labels));
    const claimants = [...this.selectors]
      .filter(
        ([k, m]) =>
          splitKey(k).namespace === hpa.metadata.namespace &&
          this.hpas.get(splitKey(k).namespace, splitKey(k).name) &&
          pods.some((p) => matchesLabels(m, p.metadata.labels)),
      )
      .map(([k]) => k)
      .sort();
    if (claimants.length > 1)
      return invalid(
        'AmbiguousSelector',
        `pods by selector ${selector} are controlled by multiple HPAs: [${claimants.join(' ')}]`,
      );
    return { selector, pods };
  }

  /** computeReplicasForMetric: Resource and ContainerResource metrics come from metrics.k8s.io. */
  private async computeReplicasForMetric(
    ctx: ControllerContext,
    hpa: HorizontalPodAutoscaler,
    spec: MetricSpec,
    specReplicas: number,
    selected: SelectedPods,
    nowMs: number,
  ): Promise<MetricResult> {
    // getUnableComputeReplicaCountCondition: the event and condition carry the inner error, the caller the wrapped one.
    const failed = (reason: string, inner: string, wrap: (e: string) => string): MetricResult => {
      void ctx.events.record(hpa, 'Warning', reason, inner);
      const message = `the HPA was unable to compute the replica count: ${inner}`;
      return { error: wrap(inner), condition: { type: 'ScalingActive', status: 'False', reason, message } };
    };
    if (spec.type === 'Resource' && spec.resource) {
      const { name } = spec.resource;
      try {
        const value = await this.resourceValue(ctx, hpa, spec.resource, '', specReplicas, selected, nowMs);
        return { ...value, status: { type: spec.type, resource: { name, current: value.current } } };
      } catch (err) {
        return failed(
          'FailedGetResourceMetric',
          errorMessage(err),
          (e) => `failed to get ${name} resource metric value: ${e}`,
        );
      }
    }
    if (spec.type === 'ContainerResource' && spec.containerResource) {
      const { name, container } = spec.containerResource;
      try {
        const value = await this.resourceValue(
          ctx,
          hpa,
          spec.containerResource,
          container,
          specReplicas,
          selected,
          nowMs,
        );
        return {
          ...value,
          status: { type: spec.type, containerResource: { name, container, current: value.current } },
        };
      } catch (err) {
        return failed(
          'FailedGetContainerResourceMetric',
          errorMessage(err),
          (e) => `failed to get ${container} container metric value: ${e}`,
        );
      }
    }
    // Pods, Object and External metrics need the custom and external metrics APIs, which Skiff does not serve.
    const customApi =
      'unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered';
    switch (spec.type) {
      case 'Pods':
        return failed(
          'FailedGetPodsMetric',
          `unable to get metric ${spec.pods?.metric.name}: ${customApi}`,
          (e) => `failed to get pods metric value: ${e}`,
        );
      case 'Object':
        return failed(
          'FailedGetObjectMetric',
          `unable to get metric ${spec.object?.metric.name}: ${customApi}`,
          (e) => `failed to get object metric value: ${e}`,
        );
      case 'External':
        return failed(
          'FailedGetExternalMetric',
          'unable to fetch metrics from external metrics API: no external metrics API (external.metrics.k8s.io) registered',
          (e) => `failed to get ${spec.external?.metric.name} external metric value: ${e}`,
        );
      default:
        return failed('InvalidMetricSourceType', `unknown metric source type "${spec.type}"`, (e) => e);
    }
  }

  /** computeStatusForResourceMetricGeneric: an AverageValue target in raw usage, else a Utilization target. */
  private async resourceValue(
    ctx: ControllerContext,
    hpa: HorizontalPodAutoscaler,
    source: { name: string; target: { averageValue?: string | number; averageUtilization?: number } },
    container: string,
    specReplicas: number,
    selected: SelectedPods,
    nowMs: number,
  ): Promise<{ replicas: number; name: string; current: MetricValueStatus }> {
    const { name: resource, target } = source;
    const input = async (): Promise<ResourceReplicasInput> => {
      let metrics: PodMetricsInfo;
      try {
        metrics = await resourceMetric(ctx.client, resource, hpa.metadata.namespace!, selected.selector, container);
      } catch (err) {
        throw new Error(`unable to get metrics for resource ${resource}: ${errorMessage(err)}`);
      }
      const settings = DEFAULT_CALCULATOR_SETTINGS;
      return { currentReplicas: specReplicas, resource, container, pods: selected.pods, metrics, nowMs, settings };
    };
    if (target.averageValue !== undefined) {
      try {
        const { replicas, usage } = rawResourceReplicas(await input(), milliValue(target.averageValue));
        return { replicas, name: `${resource} resource`, current: { averageValue: formatQuantity(usage / 1000) } };
      } catch (err) {
        throw new Error(`failed to get ${resource} usage: ${errorMessage(err)}`);
      }
    }
    if (target.averageUtilization === undefined)
      throw new Error(
        'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
      );
    try {
      const { replicas, utilization, rawAverage } = resourceReplicas(await input(), target.averageUtilization);
      const what = container ? 'container resource' : 'resource';
      return {
        replicas,
        name: `${resource} ${what} utilization (percentage of request)`,
        current: { averageUtilization: utilization, averageValue: formatQuantity(rawAverage / 1000) },
      };
    } catch (err) {
      throw new Error(`failed to get ${resource} utilization: ${errorMessage(err)}`);
    }
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
    const compact = JSON.parse(JSON.stringify(next)) as HorizontalPodAutoscalerStatus;
    if (JSON.stringify(compact) === JSON.stringify(original)) return;
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
