export type {
  IncludeObject,
  PartialObjectMetadata,
  PrintContext,
  ResourcePrinter,
  Table,
  TableCell,
  TableColumnDefinition,
  TableColumnType,
  TableListMeta,
  TableOptions,
  TableRow,
  TableRowCondition,
} from './table.types';
export { defaultTable, rowObject, tableWithPrinter, toTable } from './table';
export { DEFAULT_PRINTER, printerFor } from './printer-registry';
export { customColumnsPrinter } from './custom-columns.printer';
export { compileJsonPath, JsonPathError } from './json-path';
export type { CompiledJsonPath } from './json-path';
export { humanDuration, timestampSince } from './human-duration';
export { podSummary } from './pod.printer';
export type { PodSummary } from './pod.printer';
