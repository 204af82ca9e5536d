// The built-in resources Skiff serves: what discovery, routing, storage and printing agree on.
export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceType {
  name: string; // e.g. "status", "scale", "log"
  kind: string; // response kind, e.g. "Scale"
  group?: string; // response group when it differs from the parent, e.g. "autoscaling"
  version?: string;
  verbs: Verb[];
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
}

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS: SubresourceType = { name: 'status', kind: '', verbs: ['get', 'patch', 'update'] };
const SCALE: SubresourceType = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

interface Spec {
  kind: string;
  resource?: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  subresources?: SubresourceType[];
}

function group(groupName: string, version: string, specs: Spec[]): ResourceType[] {
  return specs.map((s) => ({
    group: groupName,
    version,
    resource: s.resource ?? `${s.kind.toLowerCase()}s`,
    singular: s.kind.toLowerCase(),
    kind: s.kind,
    namespaced: s.namespaced ?? true,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources: (s.subresources ?? []).map((sub) => (sub === STATUS ? { ...sub, kind: s.kind } : sub)),
  }));
}

export const BUILT_IN_RESOURCES: readonly ResourceType[] = [
  ...group('', 'v1', [
    { kind: 'Namespace', namespaced: false, shortNames: ['ns'], subresources: [STATUS], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    {
      kind: 'Pod',
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        STATUS,
        { name: 'binding', kind: 'Binding', verbs: ['create'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      ],
    },
    { kind: 'ConfigMap', shortNames: ['cm'] },
    { kind: 'Secret' },
    { kind: 'Service', shortNames: ['svc'], categories: ['all'], subresources: [STATUS], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
    { kind: 'Endpoints', resource: 'endpoints', shortNames: ['ep'] },
    { kind: 'Event', shortNames: ['ev'] },
    { kind: 'ServiceAccount', shortNames: ['sa'] },
    { kind: 'Node', namespaced: false, shortNames: ['no'], subresources: [STATUS] },
    { kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: [STATUS] },
    { kind: 'PersistentVolumeClaim', shortNames: ['pvc'], subresources: [STATUS] },
  ]),
  ...group('apps', 'v1', [
    { kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'], subresources: [STATUS, SCALE] },
    { kind: 'ControllerRevision' },
    // Served so kubectl finds the kind; creation is refused by serverless admission.
    { kind: 'DaemonSet', shortNames: ['ds'], subresources: [STATUS] },
  ]),
  ...group('batch', 'v1', [
    { kind: 'Job', categories: ['all'], subresources: [STATUS] },
    { kind: 'CronJob', shortNames: ['cj'], categories: ['all'], subresources: [STATUS] },
  ]),
  ...group('autoscaling', 'v2', [
    { kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'], categories: ['all'], subresources: [STATUS] },
  ]),
  ...group('networking.k8s.io', 'v1', [
    { kind: 'Ingress', resource: 'ingresses', shortNames: ['ing'], subresources: [STATUS] },
    { kind: 'IngressClass', resource: 'ingressclasses', namespaced: false },
  ]),
  ...group('storage.k8s.io', 'v1', [{ kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] }]),
  ...group('coordination.k8s.io', 'v1', [{ kind: 'Lease' }]),
  ...group('node.k8s.io', 'v1', [{ kind: 'RuntimeClass', resource: 'runtimeclasses', namespaced: false }]),
  ...group('events.k8s.io', 'v1', [{ kind: 'Event', shortNames: ['ev'] }]),
];

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Looks resources up by group/version and plural or kind. */
export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();
  private readonly list: readonly ResourceType[];

  constructor(types: readonly ResourceType[] = BUILT_IN_RESOURCES) {
    this.list = types;
    for (const t of types) {
      this.byPath.set(`${t.group}/${t.version}/${t.resource}`, t);
      this.byKind.set(`${t.group}/${t.version}/${t.kind}`, t);
    }
  }

  get(groupName: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${groupName}/${version}/${resource}`);
  }

  forKind(groupName: string, version: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${groupName}/${version}/${kind}`);
  }

  /** The same array on every call, so documents derived from it can be cached by identity. */
  all(): readonly ResourceType[] {
    return this.list;
  }

  /** Group name → versions served, in the order discovery lists them. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.byPath.values()) {
      const versions = out.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      out.set(t.group, versions);
    }
    return out;
  }
}
