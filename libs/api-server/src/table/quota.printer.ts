// core/v1 ResourceQuotas (printResourceQuota) and LimitRanges (no printer upstream: the default
// table convertor's NAME and CREATED AT).
import { canonicalQuantity } from '@skiff/api-machinery';
import { AGE_COLUMN, AGE_DESCRIPTION, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { quantity, record } from './unstructured';

// Quantity.String() of a stored value; an absent one is the zero Quantity, "0".
function shown(list: Record<string, unknown> | undefined, resource: string): string {
  const q = quantity(list, resource);
  return q === undefined ? '0' : canonicalQuantity(q);
}

/** `<resource>: <used>/<hard>` pairs in resource-name order; `limits.*` go to the LIMIT column. */
function requestAndLimit(
  hard: Record<string, unknown> | undefined,
  used: Record<string, unknown> | undefined,
): [string, string] {
  const request: string[] = [];
  const limit: string[] = [];
  for (const resource of Object.keys(hard ?? {}).sort()) {
    const pieces = resource.split('.');
    const target = pieces.length > 1 && pieces[0] === 'limits' ? limit : request;
    target.push(`${resource}: ${shown(used, resource)}/${shown(hard, resource)}`);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  // Until a quota controller fills status.hard, both columns are empty (an empty status is fine).
  cells: (quota, { now }) => [
    nameOf(quota),
    ageOf(quota, now),
    ...requestAndLimit(record(quota, 'status', 'hard'), record(quota, 'status', 'used')),
  ],
};

export const limitRangePrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Created At', 'date', AGE_DESCRIPTION)],
  cells: (lr) => [nameOf(lr), lr.metadata?.creationTimestamp ?? null],
};
