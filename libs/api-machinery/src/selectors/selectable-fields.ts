// Which field labels each kind accepts in `?fieldSelector=` and the values they select on:
// upstream's per-kind field-label conversion funcs (what is accepted, how it is renamed and
// the error text) and the registry's ToSelectableFields (what an object exposes).
import { KubeObject } from '../meta/object';

export type SelectableFieldValues = Record<string, string>;

/** What field selection needs to know of a resource. */
export interface SelectableKind {
  group: string;
  kind: string;
  namespaced: boolean;
}

interface KindFields {
  /** Accepted label → the field-set key it selects on (events.k8s.io renames, pods' spec.host). */
  labels: Record<string, string>;
  fields(obj: KubeObject): SelectableFieldValues;
  unsupported(label: string): string;
}

function at(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function str(obj: unknown, ...path: string[]): string {
  const v = at(obj, ...path);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function int(obj: unknown, ...path: string[]): string {
  const v = at(obj, ...path);
  return String(typeof v === 'number' ? Math.trunc(v) : 0);
}

function bool(obj: unknown, ...path: string[]): string {
  return String(at(obj, ...path) === true);
}

function identity(...labels: string[]): Record<string, string> {
  return Object.fromEntries(labels.map((l) => [l, l]));
}

// generic.ObjectMetaFieldsSet: cluster-scoped objects have no metadata.namespace field.
function metaFields(obj: KubeObject, namespaced: boolean): SelectableFieldValues {
  const set: SelectableFieldValues = { 'metadata.name': obj.metadata?.name ?? '' };
  if (namespaced) set['metadata.namespace'] = obj.metadata?.namespace ?? '';
  return set;
}

const notSupported = (label: string): string => `field label not supported: ${label}`;

const DEFAULT_LABELS = identity('metadata.name', 'metadata.namespace');

// runtime.DefaultMetaV1FieldSelectorConversion, used for kinds without their own conversion func.
function defaultKind(namespaced: boolean): KindFields {
  return {
    labels: DEFAULT_LABELS,
    fields: (obj) => metaFields(obj, namespaced),
    unsupported: (label) =>
      `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
  };
}

function podIP(pod: KubeObject): string {
  const ips = at(pod, 'status', 'podIPs');
  if (Array.isArray(ips) && ips.length > 0) return str(ips[0], 'ip');
  return str(pod, 'status', 'podIP');
}

const POD: KindFields = {
  labels: {
    ...identity(
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ),
    // Backwards compatibility with old v1 clients.
    'spec.host': 'spec.nodeName',
  },
  fields: (pod) => ({
    ...metaFields(pod, true),
    'spec.nodeName': str(pod, 'spec', 'nodeName'),
    'spec.restartPolicy': str(pod, 'spec', 'restartPolicy'),
    'spec.schedulerName': str(pod, 'spec', 'schedulerName'),
    'spec.serviceAccountName': str(pod, 'spec', 'serviceAccountName'),
    'spec.hostNetwork': bool(pod, 'spec', 'hostNetwork'),
    'status.phase': str(pod, 'status', 'phase'),
    'status.podIP': podIP(pod),
    'status.nominatedNodeName': str(pod, 'status', 'nominatedNodeName'),
  }),
  unsupported: notSupported,
};

const EVENT_FIELD_KEYS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
];

// core/v1 and events.k8s.io/v1 Events share one field set, built from either shape.
function eventFields(
  ev: KubeObject,
  refKey: 'involvedObject' | 'regarding',
  sourceKey: 'source' | 'deprecatedSource',
): SelectableFieldValues {
  const set: SelectableFieldValues = metaFields(ev, true);
  for (const key of EVENT_FIELD_KEYS) set[key] = str(ev, refKey, key.slice('involvedObject.'.length));
  set['reason'] = str(ev, 'reason');
  set['reportingComponent'] = str(ev, 'reportingController') || str(ev, 'reportingComponent');
  set['source'] = str(ev, sourceKey, 'component');
  set['type'] = str(ev, 'type');
  return set;
}

const CORE_EVENT: KindFields = {
  labels: identity(
    ...EVENT_FIELD_KEYS,
    'reason',
    'reportingComponent',
    'source',
    'type',
    'metadata.namespace',
    'metadata.name',
  ),
  fields: (ev) => eventFields(ev, 'involvedObject', 'source'),
  unsupported: notSupported,
};

const EVENTS_K8S_IO_EVENT: KindFields = {
  labels: {
    ...Object.fromEntries(EVENT_FIELD_KEYS.map((k) => [k.replace('involvedObject.', 'regarding.'), k])),
    ...identity('reason', 'source', 'type', 'metadata.namespace', 'metadata.name'),
    reportingController: 'reportingComponent',
  },
  fields: (ev) => eventFields(ev, 'regarding', 'deprecatedSource'),
  unsupported: notSupported,
};

function kindWith(
  namespaced: boolean,
  extra: Record<string, (obj: KubeObject) => string>,
  labels?: string[],
): KindFields {
  return {
    labels: identity(...(labels ?? [...Object.keys(DEFAULT_LABELS), ...Object.keys(extra)])),
    fields: (obj) => ({
      ...metaFields(obj, namespaced),
      ...Object.fromEntries(Object.entries(extra).map(([k, f]) => [k, f(obj)])),
    }),
    unsupported: notSupported,
  };
}

const BY_KIND: Record<string, KindFields> = {
  '/Pod': POD,
  '/Event': CORE_EVENT,
  'events.k8s.io/Event': EVENTS_K8S_IO_EVENT,
  '/Secret': kindWith(true, { type: (s) => str(s, 'type') }),
  // Upstream accepts only these two for namespaces and nodes (no metadata.namespace).
  '/Namespace': kindWith(false, { 'status.phase': (n) => str(n, 'status', 'phase') }, [
    'metadata.name',
    'status.phase',
  ]),
  '/Node': kindWith(false, { 'spec.unschedulable': (n) => bool(n, 'spec', 'unschedulable') }, [
    'metadata.name',
    'spec.unschedulable',
  ]),
  '/Service': kindWith(true, {
    'spec.clusterIP': (s) => str(s, 'spec', 'clusterIP'),
    'spec.type': (s) => str(s, 'spec', 'type'),
  }),
  '/ReplicationController': kindWith(true, { 'status.replicas': (rc) => int(rc, 'status', 'replicas') }),
  'apps/ReplicaSet': kindWith(true, { 'status.replicas': (rs) => int(rs, 'status', 'replicas') }),
  'batch/Job': {
    ...kindWith(true, { 'status.successful': (j) => int(j, 'status', 'succeeded') }),
    unsupported: (label) => `field label ${JSON.stringify(label)} not supported for batchv1.Job`,
  },
};

export function kindFields(type: SelectableKind): KindFields {
  return BY_KIND[`${type.group}/${type.kind}`] ?? defaultKind(type.namespaced);
}

/** The fields an object of `type` can be selected on, as upstream's ToSelectableFields. */
export function selectableFields(type: SelectableKind, obj: KubeObject): SelectableFieldValues {
  return kindFields(type).fields(obj);
}
