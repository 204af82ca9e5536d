import { RawDefinitions, RawSchema } from './raw-schema';

// metrics.k8s.io/v1beta1, as metrics-server publishes it to the aggregated OpenAPI (the packaged spec has none).
const METRICS = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string, description?: string): RawSchema => ({
  $ref: `#/components/schemas/${name}`,
  ...(description ? { description } : {}),
});
const gvk = (kind: string): RawSchema[] => [{ group: 'metrics.k8s.io', version: 'v1beta1', kind }];
const TYPE_FIELDS: Record<string, RawSchema> = {
  apiVersion: {
    type: 'string',
    description:
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  },
  kind: {
    type: 'string',
    description:
      'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
  },
};
const OBJECT_META = ref(
  `${META}.ObjectMeta`,
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
);
const WINDOW_FIELDS: Record<string, RawSchema> = {
  timestamp: ref(
    `${META}.Time`,
    'The following fields define time interval from which metrics were collected from the interval [Timestamp-Window, Timestamp].',
  ),
  window: { type: 'string' },
};
const USAGE: RawSchema = {
  type: 'object',
  description: 'The memory usage is the memory working set.',
  additionalProperties: ref('io.k8s.apimachinery.pkg.api.resource.Quantity'),
};

function listOf(kind: string, what: string): RawSchema {
  return {
    type: 'object',
    description: `${kind}List is a list of ${kind}.`,
    required: ['items'],
    properties: {
      ...TYPE_FIELDS,
      metadata: ref(
        `${META}.ListMeta`,
        'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      ),
      items: { type: 'array', description: `List of ${what} metrics.`, items: ref(`${METRICS}.${kind}`) },
    },
    'x-kubernetes-group-version-kind': gvk(`${kind}List`),
  };
}

export const METRICS_DEFINITIONS: RawDefinitions = {
  [`${METRICS}.ContainerMetrics`]: {
    type: 'object',
    description: 'ContainerMetrics sets resource usage metrics of a container.',
    required: ['name', 'usage'],
    properties: {
      name: { type: 'string', description: 'Container name corresponding to the one from pod.spec.containers.' },
      usage: USAGE,
    },
  },
  [`${METRICS}.PodMetrics`]: {
    type: 'object',
    description: 'PodMetrics sets resource usage metrics of a pod.',
    required: ['timestamp', 'window', 'containers'],
    properties: {
      ...TYPE_FIELDS,
      metadata: OBJECT_META,
      ...WINDOW_FIELDS,
      containers: {
        type: 'array',
        description: 'Metrics for all containers are collected within the same time window.',
        items: ref(`${METRICS}.ContainerMetrics`),
        'x-kubernetes-list-type': 'atomic',
      },
    },
    'x-kubernetes-group-version-kind': gvk('PodMetrics'),
  },
  [`${METRICS}.PodMetricsList`]: listOf('PodMetrics', 'pod'),
  [`${METRICS}.NodeMetrics`]: {
    type: 'object',
    description: 'NodeMetrics sets resource usage metrics of a node.',
    required: ['timestamp', 'window', 'usage'],
    properties: { ...TYPE_FIELDS, metadata: OBJECT_META, ...WINDOW_FIELDS, usage: USAGE },
    'x-kubernetes-group-version-kind': gvk('NodeMetrics'),
  },
  [`${METRICS}.NodeMetricsList`]: listOf('NodeMetrics', 'node'),
};
