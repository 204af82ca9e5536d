// networking.k8s.io/v1 NetworkPolicies (printNetworkPolicy): the pod selector as a selector string.
import { formatLabelSelector } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf, selectorOf } from './columns';
import { ResourcePrinter } from './table.types';

export const networkPolicyPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Pod-Selector',
      'string',
      'Selects the pods to which this NetworkPolicy object applies. An empty podSelector matches all pods in this namespace.',
    ),
    AGE_COLUMN,
  ],
  cells: (np, { now }) => [nameOf(np), formatLabelSelector(selectorOf(np, 'spec', 'podSelector')), ageOf(np, now)],
};
