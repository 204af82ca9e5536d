// metrics.k8s.io PodMetrics and NodeMetrics, as metrics-server's table convertor prints them: the name, each
// resource's usage (a pod's summed over its containers) as a canonical quantity, and the window.
import { canonicalQuantity, formatQuantity, KubeObject, tryParseQuantity } from '@skiff/api-machinery';
import { column, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { at, list, quantity, str } from './unstructured';

const COLUMNS = [
  column('Name', 'string', 'Name of the resource', 0, 'name'),
  column('cpu', 'string', '', 0, 'quantity'),
  column('memory', 'string', '', 0, 'quantity'),
  column('Window', 'string', '', 0, 'duration'),
];

// Summed in whole nanocores and bytes, so no floating-point residue reaches the cell.
function total(usages: unknown[], resource: 'cpu' | 'memory', unit: number): number {
  return usages.reduce<number>(
    (sum, u) => sum + Math.round((tryParseQuantity(quantity(u, resource) ?? '')?.value ?? 0) * unit),
    0,
  );
}

function cells(obj: KubeObject, usages: unknown[]): string[] {
  return [
    nameOf(obj),
    canonicalQuantity(`${total(usages, 'cpu', 1e9)}n`),
    formatQuantity(total(usages, 'memory', 1), 'BinarySI'),
    str(obj, 'window'),
  ];
}

export const podMetricsPrinter: ResourcePrinter = {
  columns: COLUMNS,
  cells: (pm) =>
    cells(
      pm,
      list(pm, 'containers').map((c) => at(c, 'usage')),
    ),
};

export const nodeMetricsPrinter: ResourcePrinter = {
  columns: COLUMNS,
  cells: (nm) => cells(nm, [at(nm, 'usage')]),
};
