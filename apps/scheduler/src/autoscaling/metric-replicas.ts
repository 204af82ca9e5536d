// The metric half of the HPA controller (horizontal.go's computeReplicasForMetrics and
// validateAndParseSelector): a replica proposal per metric from the pods the target's scale selects.
import { Logger } from '@nestjs/common';
import { errorMessage, formatQuantity, LabelMatcher, matchesLabels, parseLabelSelector } from '@skiff/api-machinery';
import { ControllerContext, Informer, objectKey, Scale, splitKey } from '@skiff/controller-runtime';
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
  Pod,
} from '@skiff/kube-types';
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

/** The highest proposal and the metric that made it, or why there is none; the statuses either way. */
export interface MetricsProposal {
  replicas?: number;
  metric?: string;
  statuses?: MetricStatus[];
  error?: string;
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

/** Per leadership term: remembers the selector each HPA last used, to find pods two HPAs claim. */
export class MetricReplicas {
  private readonly log = new Logger(MetricReplicas.name);
  private readonly selectors = new Map<string, LabelMatcher>();

  constructor(
    private readonly hpas: Informer<HorizontalPodAutoscaler>,
    private readonly pods: Informer<Pod>,
  ) {}

  forget(key: string): void {
    this.selectors.delete(key);
  }

  /**
   * computeReplicasForMetrics: the highest proposal over the metrics. When every metric fails, or some
   * fail and the rest would scale down, no count is proposed and the first failure sets ScalingActive.
   */
  async compute(
    ctx: ControllerContext,
    hpa: HorizontalPodAutoscaler,
    status: HorizontalPodAutoscalerStatus,
    scale: Scale,
    nowMs: number,
  ): Promise<MetricsProposal> {
    const selected = this.validateSelector(ctx, hpa, status, scale.status?.selector ?? '', nowMs);
    if ('error' in selected) return { error: selected.error };
    const specs = hpa.spec.metrics ?? [];
    const specReplicas = scale.spec?.replicas ?? 0;
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
}
