// autoscaling/v1 ⇄ autoscaling/v2 HorizontalPodAutoscaler, as pkg/apis/autoscaling/v1/conversion.go:
// v1 carries only a CPU utilization target; everything else rides in round-trip annotations
// (metrics and current metrics in autoscaling/v1 MetricSpec/MetricStatus form, behavior, conditions).
import type { KubeObject } from '@skiff/api-machinery';
import { arrAt, cloneJson, numAt, objAt, type Obj } from '../validation/json-access';

export const HPA_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const HPA_CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const HPA_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const HPA_BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [
  HPA_METRICS_ANNOTATION,
  HPA_CURRENT_METRICS_ANNOTATION,
  HPA_CONDITIONS_ANNOTATION,
  HPA_BEHAVIOR_ANNOTATION,
];

/** Drops undefined members so converted objects compare and serialize like the originals. */
function compact(o: Obj): Obj {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

// The one source a metric of each type carries.
function sourcesOf(m: Obj): Record<'resource' | 'container' | 'pods' | 'object' | 'external', Obj | undefined> {
  return {
    resource: objAt(m.resource),
    container: objAt(m.containerResource),
    pods: objAt(m.pods),
    object: objAt(m.object),
    external: objAt(m.external),
  };
}

function isCpuUtilization(metric: Obj): boolean {
  const resource = objAt(metric.resource);
  return metric.type === 'Resource' && resource?.name === 'cpu' && objAt(resource.target)?.type === 'Utilization';
}

// v2 MetricSpec (`target`) or MetricStatus (`current`) → the v1 form (the autoscaling/v2beta1
// shape), where the word prefixes the value fields: targetAverageValue, currentAverageValue...
function metricToV1(m: Obj, word: 'target' | 'current'): Obj {
  const values = (src: Obj | undefined): Obj => objAt(src?.[word]) ?? {};
  const prefixed = (name: string): string => `${word}${name}`;
  const out: Obj = { type: m.type };
  const { resource, container, pods, object, external } = sourcesOf(m);
  if (resource)
    out.resource = compact({
      name: resource.name,
      [prefixed('AverageUtilization')]: values(resource).averageUtilization,
      [prefixed('AverageValue')]: values(resource).averageValue,
    });
  if (container) {
    out.containerResource = compact({
      name: container.name,
      container: container.container,
      [prefixed('AverageUtilization')]: values(container).averageUtilization,
      [prefixed('AverageValue')]: values(container).averageValue,
    });
  }
  if (pods)
    out.pods = compact({
      metricName: objAt(pods.metric)?.name,
      [prefixed('AverageValue')]: values(pods).averageValue,
      selector: objAt(pods.metric)?.selector,
    });
  if (object) {
    out.object = compact({
      target: object.describedObject,
      metricName: objAt(object.metric)?.name,
      [prefixed('Value')]: values(object).value,
      selector: objAt(object.metric)?.selector,
      averageValue: values(object).averageValue,
    });
  }
  if (external) {
    out.external = compact({
      metricName: objAt(external.metric)?.name,
      metricSelector: objAt(external.metric)?.selector,
      [prefixed('Value')]: values(external).value,
      [prefixed('AverageValue')]: values(external).averageValue,
    });
  }
  return out;
}

// v1 MetricSpec → v2 MetricSpec: the target type follows from which v1 field is set, as upstream.
function metricSpecToV2(m: Obj): Obj {
  const out: Obj = { type: m.type };
  const { resource, container, pods, object, external } = sourcesOf(m);
  const utilizationTarget = (src: Obj): Obj =>
    src.targetAverageUtilization === undefined
      ? { type: 'AverageValue', averageValue: src.targetAverageValue }
      : compact({
          type: 'Utilization',
          averageUtilization: src.targetAverageUtilization,
          averageValue: src.targetAverageValue,
        });
  if (resource) out.resource = { name: resource.name, target: utilizationTarget(resource) };
  if (container)
    out.containerResource = {
      name: container.name,
      container: container.container,
      target: utilizationTarget(container),
    };
  if (pods)
    out.pods = {
      metric: compact({ name: pods.metricName, selector: pods.selector }),
      target: { type: 'AverageValue', averageValue: pods.targetAverageValue },
    };
  if (object) {
    out.object = {
      describedObject: object.target,
      metric: compact({ name: object.metricName, selector: object.selector }),
      target:
        object.averageValue === undefined
          ? { type: 'Value', value: object.targetValue }
          : compact({ type: 'AverageValue', value: object.targetValue, averageValue: object.averageValue }),
    };
  }
  if (external) {
    out.external = {
      metric: compact({ name: external.metricName, selector: external.metricSelector }),
      target:
        external.targetValue === undefined
          ? { type: 'AverageValue', averageValue: external.targetAverageValue }
          : { type: 'Value', value: external.targetValue },
    };
  }
  return out;
}

function metricStatusToV2(m: Obj): Obj {
  const out: Obj = { type: m.type };
  const { resource, container, pods, object, external } = sourcesOf(m);
  const utilization = (src: Obj): Obj =>
    compact({ averageUtilization: src.currentAverageUtilization, averageValue: src.currentAverageValue });
  if (resource) out.resource = { name: resource.name, current: utilization(resource) };
  if (container)
    out.containerResource = { name: container.name, container: container.container, current: utilization(container) };
  if (pods)
    out.pods = {
      metric: compact({ name: pods.metricName, selector: pods.selector }),
      current: compact({ averageValue: pods.currentAverageValue }),
    };
  if (object) {
    out.object = {
      describedObject: object.target,
      metric: compact({ name: object.metricName, selector: object.selector }),
      current: compact({ value: object.currentValue, averageValue: object.averageValue }),
    };
  }
  if (external) {
    out.external = {
      metric: compact({ name: external.metricName, selector: external.metricSelector }),
      current: compact({ value: external.currentValue, averageValue: external.currentAverageValue }),
    };
  }
  return out;
}

function parseAnnotation(annotations: Record<string, string>, name: string): unknown[] | Obj | undefined {
  const raw = annotations[name];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown[] | Obj;
  } catch {
    return undefined;
  }
}

/** The stored autoscaling/v2 object as autoscaling/v1 serves it. */
export function horizontalPodAutoscalerToV1(hpa: KubeObject): KubeObject {
  const spec = objAt(hpa.spec) ?? {};
  const status = objAt(hpa.status);
  const annotations: Record<string, string> = { ...(hpa.metadata.annotations ?? {}) };
  for (const a of ROUND_TRIP) delete annotations[a];
  const metrics = arrAt(spec.metrics).flatMap((m) => (objAt(m) ? [objAt(m)!] : []));
  const cpu = metrics.find((m) => m.type === 'Resource' && objAt(m.resource)?.name === 'cpu');
  const others = metrics.filter((m) => !isCpuUtilization(m)).map((m) => metricToV1(m, 'target'));
  const current = arrAt(status?.currentMetrics).flatMap((m) => (objAt(m) ? [objAt(m)!] : []));
  if (others.length > 0) annotations[HPA_METRICS_ANNOTATION] = JSON.stringify(others);
  if (current.length > 0)
    annotations[HPA_CURRENT_METRICS_ANNOTATION] = JSON.stringify(current.map((m) => metricToV1(m, 'current')));
  if (objAt(spec.behavior)) annotations[HPA_BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (arrAt(status?.conditions).length > 0) annotations[HPA_CONDITIONS_ANNOTATION] = JSON.stringify(status?.conditions);
  const cpuStatus = current.find((m) => m.type === 'Resource' && objAt(m.resource)?.name === 'cpu');
  const out: KubeObject = {
    ...hpa,
    apiVersion: 'autoscaling/v1',
    metadata: compact({ ...hpa.metadata, annotations: Object.keys(annotations).length > 0 ? annotations : undefined }),
    spec: compact({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage:
        cpu && isCpuUtilization(cpu) ? objAt(objAt(cpu.resource)?.target)?.averageUtilization : undefined,
    }),
  };
  if (status) {
    out.status = compact({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: numAt(objAt(objAt(cpuStatus?.resource)?.current)?.averageUtilization),
    });
  } else delete out.status;
  return cloneJson(out);
}

/** An autoscaling/v1 object as it is stored (autoscaling/v2), the round-trip annotations folded back in. */
export function horizontalPodAutoscalerToV2(hpa: KubeObject): KubeObject {
  const spec = objAt(hpa.spec) ?? {};
  const status = objAt(hpa.status);
  const annotations: Record<string, string> = { ...(hpa.metadata.annotations ?? {}) };
  const otherMetrics = parseAnnotation(annotations, HPA_METRICS_ANNOTATION);
  const currentMetrics = parseAnnotation(annotations, HPA_CURRENT_METRICS_ANNOTATION);
  const behavior = parseAnnotation(annotations, HPA_BEHAVIOR_ANNOTATION);
  const conditions = parseAnnotation(annotations, HPA_CONDITIONS_ANNOTATION);
  for (const a of ROUND_TRIP) delete annotations[a];
  const target = numAt(spec.targetCPUUtilizationPercentage);
  const metrics: Obj[] =
    target === undefined
      ? []
      : [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
  for (const m of Array.isArray(otherMetrics) ? otherMetrics : [])
    if (objAt(m)) metrics.push(metricSpecToV2(objAt(m)!));
  const out: KubeObject = {
    ...hpa,
    apiVersion: 'autoscaling/v2',
    metadata: compact({ ...hpa.metadata, annotations: Object.keys(annotations).length > 0 ? annotations : undefined }),
    spec: compact({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics: metrics.length > 0 ? metrics : undefined,
      behavior: objAt(behavior),
    }),
  };
  if (status) {
    const cpuNow = numAt(status.currentCPUUtilizationPercentage);
    const current = Array.isArray(currentMetrics)
      ? currentMetrics.flatMap((m) => (objAt(m) ? [metricStatusToV2(objAt(m)!)] : []))
      : cpuNow === undefined
        ? []
        : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpuNow } } }];
    out.status = compact({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentMetrics: current.length > 0 ? current : undefined,
      conditions: Array.isArray(conditions) ? conditions : undefined,
    });
  }
  return cloneJson(out);
}
