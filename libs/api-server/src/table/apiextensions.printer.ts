// CustomResourceDefinitions have no printer of their own upstream: the default table
// convertor prints NAME and CREATED AT (the creation time in RFC 3339, not an age).
import { AGE_DESCRIPTION, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';

export const customResourceDefinitionPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Created At', 'date', AGE_DESCRIPTION)],
  cells: (obj) => [nameOf(obj), obj.metadata?.creationTimestamp ?? null],
};
