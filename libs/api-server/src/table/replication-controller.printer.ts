// v1 ReplicationControllers (printReplicationController): a ReplicaSet's columns, the selector an equality map.
import { formatLabels } from '@skiff/api-machinery';
import {
  AGE_COLUMN,
  ageOf,
  column,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  nameOf,
  templateContainers,
} from './columns';
import { ResourcePrinter } from './table.types';
import { num, optNum, stringMap } from './unstructured';

export const replicationControllerPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Desired',
      'integer',
      'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
    ),
    column(
      'Current',
      'integer',
      'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
    ),
    column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column(
      'Selector',
      'string',
      'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
      1,
    ),
  ],
  cells: (rc, { now }) => [
    nameOf(rc),
    // The API server defaults spec.replicas to 1.
    optNum(rc, 'spec', 'replicas') ?? 1,
    num(rc, 'status', 'replicas'),
    num(rc, 'status', 'readyReplicas'),
    ageOf(rc, now),
    ...templateContainers(rc, 'spec', 'template'),
    formatLabels(stringMap(rc, 'spec', 'selector')),
  ],
};
