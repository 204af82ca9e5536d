import { METRICS_DEFINITIONS } from './metrics-definitions';
import { RawDefinitions, RawSchema } from './raw-schema';

// Written by us: what the packaged 1.27 spec lacks. Definitions served by every API server
// but absent from the published spec (meta.k8s.io Table, PartialObjectMetadata), and fields
// added in Kubernetes 1.28–1.32 that manifests use today (strict validation must not reject them).
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const CORE = 'io.k8s.api.core.v1';
const ref = (name: string): RawSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description: string): RawSchema => ({ type: 'string', description });
const int32 = (description: string): RawSchema => ({ type: 'integer', format: 'int32', description });
const metaGvk = (kind: string): RawSchema[] => [
  { group: 'meta.k8s.io', version: 'v1', kind },
  { group: 'meta.k8s.io', version: 'v1beta1', kind },
];

export const OVERLAY_DEFINITIONS: RawDefinitions = {
  ...METRICS_DEFINITIONS,
  [`${META}.Table`]: {
    type: 'object',
    description:
      'Table is a tabular representation of a set of API resources. The server transforms the object into a set of preferred columns for quickly reviewing the objects.',
    required: ['columnDefinitions', 'rows'],
    properties: {
      apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
      kind: str('Kind is a string value representing the REST resource this object represents.'),
      metadata: { ...ref(`${META}.ListMeta`), description: 'Standard list metadata.' },
      columnDefinitions: {
        type: 'array',
        description: 'columnDefinitions describes each column in the returned items array.',
        items: ref(`${META}.TableColumnDefinition`),
        'x-kubernetes-list-type': 'atomic',
      },
      rows: {
        type: 'array',
        description: 'rows is the list of items in the table.',
        items: ref(`${META}.TableRow`),
        'x-kubernetes-list-type': 'atomic',
      },
    },
    'x-kubernetes-group-version-kind': metaGvk('Table'),
  },
  [`${META}.TableColumnDefinition`]: {
    type: 'object',
    description: 'TableColumnDefinition contains information about a column returned in the Table.',
    required: ['name', 'type', 'format', 'description', 'priority'],
    properties: {
      name: str('name is a human readable name for the column.'),
      type: str('type is an OpenAPI type definition for this column, such as number, integer, string, or array.'),
      format: str('format is an optional OpenAPI type modifier for this column, such as "name" or "date".'),
      description: str('description is a human readable description of this column.'),
      priority: int32(
        'priority is an integer defining the relative importance of this column compared to others. Lower numbers are higher priority; columns above 0 are shown only in wide output.',
      ),
    },
  },
  [`${META}.TableRow`]: {
    type: 'object',
    description: 'TableRow is an individual row in a table.',
    required: ['cells'],
    properties: {
      cells: {
        type: 'array',
        description: 'cells will be as wide as the column definitions array.',
        items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        'x-kubernetes-list-type': 'atomic',
      },
      conditions: {
        type: 'array',
        description: 'conditions describe additional status of a row that are relevant for a human user.',
        items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        'x-kubernetes-list-type': 'atomic',
      },
      object: {
        type: 'object',
        description:
          'This field contains the requested additional information about each object based on the includeObject policy.',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
  },
  [`${META}.PartialObjectMetadata`]: {
    type: 'object',
    description: 'PartialObjectMetadata is a generic representation of any object with ObjectMeta.',
    properties: {
      apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
      kind: str('Kind is a string value representing the REST resource this object represents.'),
      metadata: { ...ref(`${META}.ObjectMeta`), description: "Standard object's metadata." },
    },
    'x-kubernetes-group-version-kind': metaGvk('PartialObjectMetadata'),
  },
  [`${META}.PartialObjectMetadataList`]: {
    type: 'object',
    description: 'PartialObjectMetadataList contains a list of objects containing only their metadata.',
    required: ['items'],
    properties: {
      apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
      kind: str('Kind is a string value representing the REST resource this object represents.'),
      metadata: { ...ref(`${META}.ListMeta`), description: 'Standard list metadata.' },
      items: {
        type: 'array',
        description: 'items contains each of the included items.',
        items: ref(`${META}.PartialObjectMetadata`),
      },
    },
    'x-kubernetes-group-version-kind': metaGvk('PartialObjectMetadataList'),
  },
  [`${CORE}.AppArmorProfile`]: {
    type: 'object',
    description: "AppArmorProfile defines a pod or container's AppArmor settings.",
    required: ['type'],
    properties: {
      localhostProfile: str(
        'localhostProfile indicates a profile loaded on the node that should be used. Must be set if and only if type is "Localhost".',
      ),
      type: str(
        'type indicates which kind of AppArmor profile will be applied: Localhost, RuntimeDefault or Unconfined.',
      ),
    },
    'x-kubernetes-unions': [
      { discriminator: 'type', 'fields-to-discriminateBy': { localhostProfile: 'LocalhostProfile' } },
    ],
  },
  // authentication.k8s.io/v1 SelfSubjectReview is GA since 1.28 (`kubectl auth whoami`).
  ['io.k8s.api.authentication.v1.SelfSubjectReview']: {
    type: 'object',
    description:
      'SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request. When using impersonation, users will receive the user info of the user being impersonated.',
    properties: {
      apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
      kind: str('Kind is a string value representing the REST resource this object represents.'),
      metadata: { ...ref(`${META}.ObjectMeta`), description: "Standard object's metadata." },
      status: {
        ...ref('io.k8s.api.authentication.v1.SelfSubjectReviewStatus'),
        description: 'Status is filled in by the server with the user attributes.',
      },
    },
    'x-kubernetes-group-version-kind': [{ group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview' }],
  },
  ['io.k8s.api.authentication.v1.SelfSubjectReviewStatus']: {
    type: 'object',
    description: 'SelfSubjectReviewStatus is filled by the kube-apiserver and sent back to a user.',
    properties: {
      userInfo: {
        ...ref('io.k8s.api.authentication.v1.UserInfo'),
        description: 'User attributes of the user making this request.',
      },
    },
  },
  [`${CORE}.HostIP`]: {
    type: 'object',
    description: 'HostIP represents a single IP address allocated to the host.',
    required: ['ip'],
    properties: { ip: str('IP is the IP address assigned to the host') },
  },
  // Pod templates (PodTemplate, workloads) use these 1.29–1.31 fields too.
  [`${CORE}.SleepAction`]: {
    type: 'object',
    description: 'SleepAction describes a "sleep" action.',
    required: ['seconds'],
    properties: {
      seconds: { type: 'integer', format: 'int64', description: 'Seconds is the number of seconds to sleep.' },
    },
  },
};

/** Fields added after 1.27, per definition. Only fields; descriptions are ours. */
export const OVERLAY_FIELDS: Record<string, Record<string, RawSchema>> = {
  [`${CORE}.Container`]: {
    restartPolicy: str(
      'RestartPolicy defines the restart behavior of individual containers in a pod. The only allowed value is "Always", for init containers (sidecars).',
    ),
  },
  [`${CORE}.PodSecurityContext`]: {
    appArmorProfile: {
      ...ref(`${CORE}.AppArmorProfile`),
      description: 'appArmorProfile is the AppArmor options to use by the containers in this pod.',
    },
  },
  [`${CORE}.SecurityContext`]: {
    appArmorProfile: {
      ...ref(`${CORE}.AppArmorProfile`),
      description: 'appArmorProfile is the AppArmor options to use by this container.',
    },
  },
  [`${CORE}.PodStatus`]: {
    hostIPs: {
      type: 'array',
      description: 'hostIPs holds the IP addresses allocated to the host.',
      items: ref(`${CORE}.HostIP`),
      'x-kubernetes-list-type': 'atomic',
      'x-kubernetes-patch-merge-key': 'ip',
      'x-kubernetes-patch-strategy': 'merge',
    },
  },
  [`${CORE}.ServiceSpec`]: {
    trafficDistribution: str(
      'TrafficDistribution offers a way to express preferences for how traffic is distributed to Service endpoints, e.g. "PreferClose".',
    ),
  },
  [`${CORE}.PersistentVolumeClaimSpec`]: {
    volumeAttributesClassName: str(
      'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.',
    ),
  },
  ['io.k8s.api.batch.v1.JobSpec']: {
    backoffLimitPerIndex: int32(
      'Specifies the limit for the number of retries within an index before marking this index as failed (Indexed jobs only).',
    ),
    maxFailedIndexes: int32(
      'Specifies the maximal number of failed indexes before marking the Job as failed (Indexed jobs only).',
    ),
    podReplacementPolicy: str(
      'podReplacementPolicy specifies when to create replacement Pods: TerminatingOrFailed or Failed.',
    ),
    managedBy: str('ManagedBy field indicates the controller that manages a Job.'),
  },
  [`${CORE}.LifecycleHandler`]: {
    sleep: {
      ...ref(`${CORE}.SleepAction`),
      description: 'Sleep represents a duration that the container should sleep.',
    },
  },
  [`${CORE}.VolumeMount`]: {
    recursiveReadOnly: str(
      'RecursiveReadOnly specifies whether read-only mounts should be handled recursively: Disabled, IfPossible or Enabled.',
    ),
  },
};

/**
 * Extensions the packaged spec lost on fields that are refs (it keeps a bare `$ref`). kubectl
 * reads patch strategies from OpenAPI: without retainKeys on Deployment.spec.strategy, `kubectl
 * apply` switching RollingUpdate → Recreate sends no `$retainKeys` and the defaulted
 * rollingUpdate stays behind.
 */
export const RESTORED_FIELD_EXTENSIONS: Record<string, Record<string, RawSchema>> = {
  ['io.k8s.api.apps.v1.DeploymentSpec']: {
    strategy: {
      ...ref('io.k8s.api.apps.v1.DeploymentStrategy'),
      description: 'The deployment strategy to use to replace existing pods with new ones.',
      'x-kubernetes-patch-strategy': 'retainKeys',
    },
  },
};

// The packaged spec drops the descriptions of fields that are refs; kinds' top fields get ours.
const TOP_FIELD_WORDS: Record<string, (kind: string) => string> = {
  metadata: () =>
    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  spec: (kind) =>
    `Specification of the desired behavior of the ${kind}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status`,
  status: (kind) =>
    `Most recently observed status of the ${kind}. This data may be out of date by some window of time. Populated by the system. Read-only.`,
};

function describeTopFields(def: RawSchema): RawSchema {
  const gvks = def['x-kubernetes-group-version-kind'];
  const properties = def['properties'] as Record<string, RawSchema> | undefined;
  const first: unknown = Array.isArray(gvks) ? gvks[0] : undefined;
  const kind = typeof first === 'object' && first !== null ? (first as Record<string, unknown>)['kind'] : undefined;
  if (typeof kind !== 'string' || !properties) return def;
  const described = { ...properties };
  for (const [field, words] of Object.entries(TOP_FIELD_WORDS)) {
    const prop = described[field];
    if (prop && typeof prop['$ref'] === 'string' && prop['description'] === undefined)
      described[field] = { ...prop, description: words(kind) };
  }
  return { ...def, properties: described };
}

/** The packaged definitions with our overlay applied; the input is not modified. */
export function applyOverlay(base: RawDefinitions): RawDefinitions {
  const out: RawDefinitions = { ...base, ...OVERLAY_DEFINITIONS };
  for (const [name, def] of Object.entries(out)) out[name] = describeTopFields(def);
  for (const [name, fields] of Object.entries(OVERLAY_FIELDS)) {
    const def = out[name];
    if (!def) continue;
    const properties = (def['properties'] as Record<string, unknown> | undefined) ?? {};
    out[name] = { ...def, properties: { ...fields, ...properties } };
  }
  for (const [name, fields] of Object.entries(RESTORED_FIELD_EXTENSIONS)) {
    const def = out[name];
    if (def)
      out[name] = {
        ...def,
        properties: { ...((def['properties'] as Record<string, unknown> | undefined) ?? {}), ...fields },
      };
  }
  return out;
}
