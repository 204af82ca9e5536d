import { KubeObject } from '@skiff/api-machinery';

/**
 * A cluster-scoped elastic IP (`network.skiff.io/v1alpha1`, short name `eip`): its name is the instance id pods bind
 * with `k8s.aliyun.com/eci-eip-instanceid`. Users create them to keep an address across pods; a pod with
 * `k8s.aliyun.com/eci-with-eip: "true"` gets one of its own, deleted with it.
 */
export interface ElasticIP extends KubeObject {
  spec?: {
    /** Mbit/s in each direction (ASK's `eip-bandwidth`, default 5). */
    bandwidth?: number;
    /** A particular address of the EIP pool. */
    address?: string;
  };
  status?: {
    address?: string;
    /** Available, InUse, or Failed (no address could be had; `message` says why). */
    phase?: 'Available' | 'InUse' | 'Failed';
    /** The pod it is bound to, `namespace/name`. */
    pod?: string;
    podIP?: string;
    message?: string;
  };
}

/** Set on the EIPs made for `eci-with-eip` pods: they go when the pod goes. */
export const EIP_POD_UID_LABEL = 'network.skiff.io/pod-uid';
export const DEFAULT_EIP_BANDWIDTH_MBPS = 5;

export const ELASTIC_IP_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'elasticips.network.skiff.io' },
  spec: {
    group: 'network.skiff.io',
    scope: 'Cluster',
    names: {
      plural: 'elasticips',
      singular: 'elasticip',
      kind: 'ElasticIP',
      listKind: 'ElasticIPList',
      shortNames: ['eip'],
    },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Address', type: 'string', jsonPath: '.status.address' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Pod', type: 'string', jsonPath: '.status.pod' },
          { name: 'Bandwidth', type: 'integer', jsonPath: '.spec.bandwidth', description: 'Mbit/s' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  bandwidth: { type: 'integer', minimum: 1, maximum: 10000 },
                  address: { type: 'string', format: 'ipv4' },
                },
              },
              status: {
                type: 'object',
                properties: {
                  address: { type: 'string' },
                  phase: { type: 'string', enum: ['Available', 'InUse', 'Failed'] },
                  pod: { type: 'string' },
                  podIP: { type: 'string' },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    ],
  },
};
