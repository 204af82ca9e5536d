// Tables for custom resources from CRD additionalPrinterColumns, cell by cell as the
// apiextensions tableconvertor: the first JSONPath match, converted per column type.
import { KubeObject } from '@skiff/api-machinery';
import type { PrinterColumn } from '../resources/resource-types';
import { AGE_DESCRIPTION, column, NAME_COLUMN, nameOf } from './columns';
import { humanDuration, parseTimestamp } from './human-duration';
import { CompiledJsonPath, compileJsonPath } from './json-path';
import { ResourcePrinter, TableCell, TableColumnDefinition, TableColumnType } from './table.types';

// Used when a CRD declares no columns, as the CRD handler does.
const DEFAULT_COLUMNS: PrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: AGE_DESCRIPTION },
];

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function cellFor(type: TableColumnType, value: unknown, now: Date): TableCell {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      return asText(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = parseTimestamp(value);
      return t ? humanDuration(now.getTime() - t.getTime()) : '<invalid>';
    }
  }
}

function compileOrUndefined(path: string): CompiledJsonPath | undefined {
  try {
    return compileJsonPath(path);
  } catch {
    return undefined;
  }
}

/** A printer for a CRD's columns: NAME first, then the declared columns (Age when none). */
export function customColumnsPrinter(columns: readonly PrinterColumn[]): ResourcePrinter {
  const declared = columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const compiled = declared.map((c) => compileOrUndefined(c.jsonPath));
  const definitions: TableColumnDefinition[] = [
    NAME_COLUMN,
    ...declared.map((c) => column(c.name, c.type, c.description ?? '', c.priority ?? 0, c.format ?? '')),
  ];
  return {
    columns: definitions,
    cells: (obj: KubeObject, { now }) => [
      nameOf(obj),
      ...declared.map((c, i) => {
        const found = compiled[i]?.find(obj) ?? [];
        return cellFor(c.type, found[0], now);
      }),
    ],
  };
}
