// Builds the meta.k8s.io/v1 Table kube-apiserver answers to `kubectl get`. The server always
// prints wide (priority-1 columns included); kubectl hides them unless `-o wide`.
import { KubeObject } from '@skiff/api-machinery';
import { ResourceType } from '../resources/resource-types';
import { DEFAULT_PRINTER, printerFor } from './printer-registry';
import {
  IncludeObject,
  PartialObjectMetadata,
  ResourcePrinter,
  Table,
  TableListMeta,
  TableOptions,
  TableRow,
} from './table.types';

/** The row's `object`, per `?includeObject=` (Metadata when unset). */
export function rowObject(
  obj: KubeObject,
  include: IncludeObject | undefined,
): PartialObjectMetadata | KubeObject | undefined {
  switch (include ?? 'Metadata') {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

function listMeta(meta: TableListMeta | undefined): TableListMeta {
  const out: TableListMeta = {};
  if (meta?.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  if (meta?.continue !== undefined && meta.continue !== '') out.continue = meta.continue;
  if (meta?.remainingItemCount !== undefined) out.remainingItemCount = meta.remainingItemCount;
  return out;
}

/** Renders `objects` with an explicit printer (custom columns, tests, future kinds). */
export function tableWithPrinter(printer: ResourcePrinter, objects: readonly KubeObject[], opts: TableOptions): Table {
  const ctx = { now: opts.now };
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, ctx) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const object = rowObject(obj, opts.includeObject);
    if (object) row.object = object;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta(opts.listMeta),
    columnDefinitions: opts.noHeaders ? [] : printer.columns,
    rows,
  };
}

/** The Table for objects of a built-in kind; unknown kinds get NAME + AGE (defaultTable). */
export function toTable(
  type: Pick<ResourceType, 'group' | 'kind' | 'custom'>,
  objects: readonly KubeObject[],
  opts: TableOptions,
): Table {
  return tableWithPrinter(printerFor(type) ?? DEFAULT_PRINTER, objects, opts);
}

/** NAME + AGE, as custom resources without printer columns. */
export function defaultTable(objects: readonly KubeObject[], opts: TableOptions): Table {
  return tableWithPrinter(DEFAULT_PRINTER, objects, opts);
}
