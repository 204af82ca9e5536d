// apps/v1 workloads: deployments, replicasets, statefulsets, daemonsets, controllerrevisions.
import {
  KubeObject,
  formatLabels,
  formatLabelSelector,
  labelSelectorFromObject,
  labelSelectorToString,
} from '@skiff/api-machinery';
import {
  AGE_COLUMN,
  ageOf,
  column,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  nameOf,
  selectorOf,
  templateContainers,
  wideSelectorColumn,
} from './columns';
import { ResourcePrinter, TableCell } from './table.types';
import { num, optNum, stringMap } from './unstructured';

// apps/v1 defaults spec.replicas to 1; the printers see defaulted objects upstream.
function desiredReplicas(obj: KubeObject): number {
  return optNum(obj, 'spec', 'replicas') ?? 1;
}

// printDeployment uses selector.String() directly: empty stays "", invalid is "<invalid>".
function deploymentSelector(obj: KubeObject): string {
  try {
    return labelSelectorToString(labelSelectorFromObject(selectorOf(obj, 'spec', 'selector')));
  } catch {
    return '<invalid>';
  }
}

export const deploymentPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wideSelectorColumn(
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
    ),
  ],
  cells: (d, { now }): TableCell[] => [
    nameOf(d),
    `${num(d, 'status', 'readyReplicas')}/${desiredReplicas(d)}`,
    num(d, 'status', 'updatedReplicas'),
    num(d, 'status', 'availableReplicas'),
    ageOf(d, now),
    ...templateContainers(d, 'spec', 'template'),
    deploymentSelector(d),
  ],
};

export const replicaSetPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wideSelectorColumn(),
  ],
  cells: (rs, { now }) => [
    nameOf(rs),
    desiredReplicas(rs),
    num(rs, 'status', 'replicas'),
    num(rs, 'status', 'readyReplicas'),
    ageOf(rs, now),
    ...templateContainers(rs, 'spec', 'template'),
    formatLabelSelector(selectorOf(rs, 'spec', 'selector')),
  ],
};

export const statefulSetPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
  ],
  cells: (sts, { now }) => [
    nameOf(sts),
    `${num(sts, 'status', 'readyReplicas')}/${desiredReplicas(sts)}`,
    ageOf(sts, now),
    ...templateContainers(sts, 'spec', 'template'),
  ],
};

export const daemonSetPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Desired',
      'integer',
      'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
    ),
    column(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
    ),
    column(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    ),
    column(
      'Node Selector',
      'string',
      "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
    ),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wideSelectorColumn('A label query over pods that are managed by the daemon set.'),
  ],
  cells: (ds, { now }) => [
    nameOf(ds),
    num(ds, 'status', 'desiredNumberScheduled'),
    num(ds, 'status', 'currentNumberScheduled'),
    num(ds, 'status', 'numberReady'),
    num(ds, 'status', 'updatedNumberScheduled'),
    num(ds, 'status', 'numberAvailable'),
    formatLabels(stringMap(ds, 'spec', 'template', 'spec', 'nodeSelector')),
    ageOf(ds, now),
    ...templateContainers(ds, 'spec', 'template'),
    formatLabelSelector(selectorOf(ds, 'spec', 'selector')),
  ],
};

// formatResourceName with the controller's group kind: `statefulset.apps/web`.
function controllerOf(obj: KubeObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  if (!ref.kind) return ref.name;
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells: (cr, { now }) => [nameOf(cr), controllerOf(cr), num(cr, 'revision'), ageOf(cr, now)],
};
