// The resources Skiff serves (built-in and from CRDs): what discovery, routing, storage and printing agree on.
import type { SchemaNode } from '../schema/schema-node';
import { SchemaRegistry } from '../schema/schema-registry.service';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceType {
  name: string; // e.g. "status", "scale", "log"
  kind: string; // response kind, e.g. "Scale"
  group?: string; // response group when it differs from the parent, e.g. "autoscaling"
  version?: string;
  verbs: Verb[];
}

/** apiextensions.k8s.io/v1 CustomResourceColumnDefinition. */
export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** Where the /scale subresource finds replicas and the selector (CRD `subresources.scale`). */
export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** What a resource served from a CustomResourceDefinition adds to a ResourceType. */
export interface CustomResourceRules {
  /** The CRD's name, e.g. "crontabs.stable.example.com". */
  crd: string;
  /** The version objects are stored in; others are served by rewriting apiVersion (conversion None). */
  storageVersion: string;
  /** The version's structural schema (whole object), for pruning, defaulting and validation. */
  schema?: SchemaNode;
  printerColumns: PrinterColumn[];
  scale?: ScalePaths;
  /** The CRD is being deleted: no new objects. */
  terminating: boolean;
  /** Sent as a `Warning:` header with every answer for a version marked `deprecated: true`. */
  deprecationWarning?: string;
}

export interface ResourceType {
  group: string; // "" for core
  version: string;
  resource: string; // plural, e.g. "deployments"
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceType[];
  /** A built-in served in a version other than the one it is stored in (converted on the way in and out). */
  storageVersion?: string;
  /** Computed on each read from live data (metrics.k8s.io), never stored: no store access, no storageVersionHash. */
  computed?: true;
  custom?: CustomResourceRules;
}

export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS: SubresourceType = { name: 'status', kind: '', verbs: ['get', 'patch', 'update'] };
export const SCALE: SubresourceType = {
  name: 'scale',
  kind: 'Scale',
  group: 'autoscaling',
  version: 'v1',
  verbs: ['get', 'patch', 'update'],
};

interface Spec {
  kind: string;
  resource?: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  subresources?: SubresourceType[];
  storageVersion?: string;
  singular?: string;
  computed?: true;
}

function group(groupName: string, version: string, specs: Spec[]): ResourceType[] {
  return specs.map((s) => ({
    group: groupName,
    version,
    resource: s.resource ?? `${s.kind.toLowerCase()}s`,
    singular: s.singular ?? s.kind.toLowerCase(),
    kind: s.kind,
    namespaced: s.namespaced ?? true,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources: (s.subresources ?? []).map((sub) => (sub === STATUS ? { ...sub, kind: s.kind } : sub)),
    ...(s.storageVersion ? { storageVersion: s.storageVersion } : {}),
    ...(s.computed ? { computed: s.computed } : {}),
  }));
}

export const BUILT_IN_RESOURCES: readonly ResourceType[] = [
  ...group('', 'v1', [
    {
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      subresources: [STATUS],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    {
      kind: 'Pod',
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        STATUS,
        { name: 'binding', kind: 'Binding', verbs: ['create'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
        { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
        { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
        { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      ],
    },
    { kind: 'ConfigMap', shortNames: ['cm'] },
    { kind: 'Secret' },
    {
      kind: 'Service',
      shortNames: ['svc'],
      categories: ['all'],
      subresources: [STATUS],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { kind: 'Endpoints', resource: 'endpoints', shortNames: ['ep'] },
    { kind: 'Event', shortNames: ['ev'] },
    {
      kind: 'ServiceAccount',
      shortNames: ['sa'],
      subresources: [
        { name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
      ],
    },
    { kind: 'Node', namespaced: false, shortNames: ['no'], subresources: [STATUS] },
    { kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: [STATUS] },
    { kind: 'PersistentVolumeClaim', shortNames: ['pvc'], subresources: [STATUS] },
    { kind: 'PodTemplate' },
    { kind: 'ReplicationController', shortNames: ['rc'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'ResourceQuota', shortNames: ['quota'], subresources: [STATUS] },
    { kind: 'LimitRange', shortNames: ['limits'] },
  ]),
  ...group('apps', 'v1', [
    { kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'ControllerRevision' },
    // Served so kubectl finds the kind; creation is refused by serverless admission.
    { kind: 'DaemonSet', shortNames: ['ds'], categories: ['all'], subresources: [STATUS] },
  ]),
  ...group('batch', 'v1', [
    { kind: 'Job', categories: ['all'], subresources: [STATUS] },
    { kind: 'CronJob', shortNames: ['cj'], categories: ['all'], subresources: [STATUS] },
  ]),
  // v2 first: discovery's preferred version. Both serve the one stored (v2) object.
  ...group('autoscaling', 'v2', [
    { kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'], categories: ['all'], subresources: [STATUS] },
  ]),
  ...group('autoscaling', 'v1', [
    {
      kind: 'HorizontalPodAutoscaler',
      shortNames: ['hpa'],
      categories: ['all'],
      subresources: [STATUS],
      storageVersion: 'v2',
    },
  ]),
  ...group('policy', 'v1', [{ kind: 'PodDisruptionBudget', shortNames: ['pdb'], subresources: [STATUS] }]),
  ...group('authentication.k8s.io', 'v1', [
    { kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] },
    { kind: 'TokenReview', namespaced: false, verbs: ['create'] },
  ]),
  // Reviews are questions to the authorizer: answered, never stored.
  ...group('authorization.k8s.io', 'v1', [
    { kind: 'LocalSubjectAccessReview', verbs: ['create'] },
    { kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] },
    { kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] },
    { kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'] },
  ]),
  ...group('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', namespaced: false },
    { kind: 'ClusterRole', namespaced: false },
    { kind: 'RoleBinding' },
    { kind: 'Role' },
  ]),
  ...group('discovery.k8s.io', 'v1', [{ kind: 'EndpointSlice' }]),
  ...group('networking.k8s.io', 'v1', [
    { kind: 'Ingress', resource: 'ingresses', shortNames: ['ing'], subresources: [STATUS] },
    { kind: 'IngressClass', resource: 'ingressclasses', namespaced: false },
    { kind: 'NetworkPolicy', resource: 'networkpolicies', shortNames: ['netpol'] },
  ]),
  ...group('scheduling.k8s.io', 'v1', [
    { kind: 'PriorityClass', resource: 'priorityclasses', namespaced: false, shortNames: ['pc'] },
  ]),
  ...group('storage.k8s.io', 'v1', [
    { kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] },
    { kind: 'CSIDriver', namespaced: false },
    { kind: 'VolumeAttachment', namespaced: false, subresources: [STATUS] },
  ]),
  ...group('coordination.k8s.io', 'v1', [{ kind: 'Lease' }]),
  ...group('node.k8s.io', 'v1', [{ kind: 'RuntimeClass', resource: 'runtimeclasses', namespaced: false }]),
  ...group('events.k8s.io', 'v1', [{ kind: 'Event', shortNames: ['ev'] }]),
  ...group('apiextensions.k8s.io', 'v1', [
    {
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: [STATUS],
    },
  ]),
  // Last, where an aggregated API is listed; named, unnamed (no singular) and read-only as metrics-server serves them.
  ...group('metrics.k8s.io', 'v1beta1', [
    { kind: 'PodMetrics', resource: 'pods', singular: '', verbs: ['get', 'list'], computed: true },
    { kind: 'NodeMetrics', resource: 'nodes', singular: '', namespaced: false, verbs: ['get', 'list'], computed: true },
  ]),
];

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/**
 * Looks resources up by group/version and plural or kind. The built-ins are fixed; the custom
 * resources (from CRDs) and the schemas that describe them are swapped together when CRDs change.
 */
export class ResourceRegistry {
  private byPath = new Map<string, ResourceType>();
  private byKind = new Map<string, ResourceType>();
  private list: readonly ResourceType[] = [];
  private schemaRegistry?: SchemaRegistry;

  constructor(
    private readonly builtIns: readonly ResourceType[] = BUILT_IN_RESOURCES,
    schemas?: SchemaRegistry,
  ) {
    this.schemaRegistry = schemas;
    this.index(builtIns);
  }

  /** The schemas of every served kind, custom resources included. */
  get schemas(): SchemaRegistry {
    this.schemaRegistry ??= SchemaRegistry.builtIn();
    return this.schemaRegistry;
  }

  /** Serves these custom resources (replacing the previous ones), described by `schemas`. */
  setCustomResources(custom: readonly ResourceType[], schemas: SchemaRegistry): void {
    this.schemaRegistry = schemas;
    this.index([...this.builtIns, ...custom]);
  }

  private index(types: readonly ResourceType[]): void {
    const byPath = new Map<string, ResourceType>();
    const byKind = new Map<string, ResourceType>();
    for (const t of types) {
      byPath.set(`${t.group}/${t.version}/${t.resource}`, t);
      byKind.set(`${t.group}/${t.version}/${t.kind}`, t);
    }
    this.list = types;
    this.byPath = byPath;
    this.byKind = byKind;
  }

  get(groupName: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${groupName}/${version}/${resource}`);
  }

  forKind(groupName: string, version: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${groupName}/${version}/${kind}`);
  }

  /** The same array until the served resources change, so documents derived from it can be cached by identity. */
  all(): readonly ResourceType[] {
    return this.list;
  }

  /** Group name → versions served, in the order discovery lists them (preferred first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.list) {
      const versions = out.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      out.set(t.group, versions);
    }
    return out;
  }
}
