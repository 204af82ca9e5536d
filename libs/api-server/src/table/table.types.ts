// meta.k8s.io/v1 Table, as kube-apiserver returns it for `Accept: ...;as=Table;v=v1;g=meta.k8s.io`.
import { KubeObject, ObjectMeta } from '@skiff/api-machinery';

export type TableColumnType = 'integer' | 'number' | 'string' | 'boolean' | 'date';

export interface TableColumnDefinition {
  name: string;
  type: TableColumnType;
  format: string;
  description: string;
  /** 0 = always shown; 1 = only with `kubectl get -o wide`. */
  priority: number;
}

/** A cell as it travels in JSON; `null` is an absent value (kubectl prints `<none>`). */
export type TableCell = string | number | boolean | null;

export interface TableRowCondition {
  type: 'Completed';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: PartialObjectMetadata | KubeObject;
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: TableListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** `?includeObject=`: what each row carries besides its cells (default Metadata). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** The clock every AGE / LAST SEEN / DURATION cell is computed against. */
  now: Date;
  includeObject?: IncludeObject;
  listMeta?: TableListMeta;
  /** `?includeObject` aside, kubectl's `TableOptions.noHeaders` (watch events after the first). */
  noHeaders?: boolean;
}

/** What a printer sees besides the object. */
export interface PrintContext {
  now: Date;
}

/** Columns and cells for one kind, as a handler in upstream's printers.go. */
export interface ResourcePrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, ctx: PrintContext): TableCell[];
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}
