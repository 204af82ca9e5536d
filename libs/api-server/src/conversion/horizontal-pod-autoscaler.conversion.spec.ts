import { KubeObject } from '@skiff/api-machinery';
import { convertBuiltIn } from './built-in.conversion';
import {
  HPA_BEHAVIOR_ANNOTATION,
  HPA_CONDITIONS_ANNOTATION,
  HPA_CURRENT_METRICS_ANNOTATION,
  HPA_METRICS_ANNOTATION,
  horizontalPodAutoscalerToV1,
  horizontalPodAutoscalerToV2,
} from './horizontal-pod-autoscaler.conversion';

const HPA = { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' };

const v2: KubeObject = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'shop', annotations: { team: 'a' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40, averageValue: '40m' } } },
    ],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' }],
  },
};

describe('HorizontalPodAutoscaler conversion', () => {
  it('serves the CPU target in v1 and keeps the rest in upstream round-trip annotations', () => {
    const v1 = horizontalPodAutoscalerToV1(v2);
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 50,
    });
    expect(v1.status).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 40 });
    const annotations = v1.metadata.annotations!;
    expect(annotations.team).toBe('a');
    expect(JSON.parse(annotations[HPA_METRICS_ANNOTATION])).toEqual([
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } },
      { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
      { type: 'External', external: { metricName: 'queue', targetValue: '30' } },
    ]);
    expect(JSON.parse(annotations[HPA_CURRENT_METRICS_ANNOTATION])).toEqual([
      { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 40, currentAverageValue: '40m' } },
    ]);
    expect(JSON.parse(annotations[HPA_BEHAVIOR_ANNOTATION])).toEqual({ scaleDown: { stabilizationWindowSeconds: 60 } });
    expect(JSON.parse(annotations[HPA_CONDITIONS_ANNOTATION])).toEqual([
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
    ]);
  });

  it('round-trips v2 → v1 → v2 without loss', () => {
    expect(horizontalPodAutoscalerToV2(horizontalPodAutoscalerToV1(v2))).toEqual(v2);
  });

  it('turns a plain v1 object into one CPU metric, with no annotations left over', () => {
    const v1: KubeObject = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
    };
    const stored = horizontalPodAutoscalerToV2(v1);
    expect(stored.metadata).toEqual({ name: 'web' });
    expect(stored.spec).toEqual({
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 3,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    });
  });

  it('converts only between versions of the kind it knows, and leaves other objects alone', () => {
    expect(convertBuiltIn(HPA, v2, 'v2')).toBe(v2);
    expect(convertBuiltIn(HPA, v2, 'v1').apiVersion).toBe('autoscaling/v1');
    const unversioned = { metadata: { name: 'x' } };
    expect(convertBuiltIn(HPA, unversioned, 'v1')).toBe(unversioned);
  });
});
