import { KubeObject } from '@skiff/api-machinery';
import { CrossVersionObjectReference } from '@skiff/controller-runtime';

/** What a CronHPA scales: anything with a /scale subresource, or an autoscaling HorizontalPodAutoscaler. */
export type ScaleTargetRef = CrossVersionObjectReference;

export interface CronHpaJob {
  name: string;
  schedule: string;
  targetSize: number;
  runOnce?: boolean;
}

/** ASK's JobState values (`Succeed`, not `Succeeded`: manifests and scripts written for ASK compare these). */
export type CronHpaJobState = 'Submitted' | 'Succeed' | 'Failed';

export interface CronHpaCondition {
  name: string;
  /** New for each version of a job's spec: a changed job is a new job. */
  jobId: string;
  schedule: string;
  targetSize: number;
  runOnce: boolean;
  state: CronHpaJobState;
  lastProbeTime: string;
  message: string;
}

/** ASK's CronHorizontalPodAutoscaler (`autoscaling.alibabacloud.com/v1beta1`, short name `cronhpa`). */
export interface CronHorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: ScaleTargetRef;
    jobs: CronHpaJob[];
    excludeDates?: string[];
  };
  status?: {
    scaleTargetRef?: ScaleTargetRef;
    excludeDates?: string[];
    conditions?: CronHpaCondition[];
  };
}

const SCALE_TARGET_REF_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'name'],
  properties: {
    apiVersion: { type: 'string', minLength: 1 },
    kind: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1 },
  },
};

/** ASK's CRD (kubernetes-cronhpa-controller), as apiextensions.k8s.io/v1 with printer columns for `kubectl get`. */
export const CRON_HPA_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'cronhorizontalpodautoscalers.autoscaling.alibabacloud.com' },
  spec: {
    group: 'autoscaling.alibabacloud.com',
    scope: 'Namespaced',
    names: {
      plural: 'cronhorizontalpodautoscalers',
      singular: 'cronhorizontalpodautoscaler',
      kind: 'CronHorizontalPodAutoscaler',
      listKind: 'CronHorizontalPodAutoscalerList',
      shortNames: ['cronhpa'],
    },
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Kind', type: 'string', jsonPath: '.spec.scaleTargetRef.kind' },
          { name: 'Target', type: 'string', jsonPath: '.spec.scaleTargetRef.name' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['scaleTargetRef', 'jobs'],
                properties: {
                  scaleTargetRef: SCALE_TARGET_REF_SCHEMA,
                  excludeDates: { type: 'array', items: { type: 'string' } },
                  jobs: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: {
                      type: 'object',
                      required: ['name', 'schedule', 'targetSize'],
                      properties: {
                        name: { type: 'string', minLength: 1 },
                        schedule: { type: 'string', minLength: 1 },
                        targetSize: { type: 'integer', format: 'int32', minimum: 0 },
                        runOnce: { type: 'boolean' },
                      },
                    },
                  },
                },
              },
              status: {
                type: 'object',
                properties: {
                  scaleTargetRef: SCALE_TARGET_REF_SCHEMA,
                  excludeDates: { type: 'array', items: { type: 'string' } },
                  conditions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['name', 'jobId', 'schedule', 'targetSize', 'runOnce', 'state', 'lastProbeTime'],
                      properties: {
                        name: { type: 'string' },
                        jobId: { type: 'string' },
                        schedule: { type: 'string' },
                        targetSize: { type: 'integer', format: 'int32' },
                        runOnce: { type: 'boolean' },
                        state: { type: 'string', enum: ['Submitted', 'Succeed', 'Failed'] },
                        lastProbeTime: { type: 'string', format: 'date-time' },
                        message: { type: 'string' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
