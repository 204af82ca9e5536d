// policy/v1 PodDisruptionBudgets (printPodDisruptionBudget): N/A where a bound is unset.
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { at, Json, num } from './unstructured';

// IntOrString.String(): an int in decimal, a percentage as written.
function intOrPercent(obj: Json, field: string): string {
  const v = at(obj, 'spec', field);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return 'N/A';
}

export const podDisruptionBudgetPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells: (pdb, { now }) => [
    nameOf(pdb),
    intOrPercent(pdb, 'minAvailable'),
    intOrPercent(pdb, 'maxUnavailable'),
    num(pdb, 'status', 'disruptionsAllowed'),
    ageOf(pdb, now),
  ],
};
