// scheduling.k8s.io/v1 PriorityClasses (printPriorityClass).
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { num, optBool, str } from './unstructured';

export const priorityClassPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Value',
      'integer',
      'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
    ),
    column(
      'Global-Default',
      'boolean',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    ),
    AGE_COLUMN,
    // Added in 1.32 as a wide cell but declared with priority 0, so kubectl always shows it.
    column(
      'PreemptionPolicy',
      'string',
      'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
    ),
  ],
  cells: (pc, { now }) => [
    nameOf(pc),
    num(pc, 'value'),
    optBool(pc, 'globalDefault') ?? false,
    ageOf(pc, now),
    str(pc, 'preemptionPolicy'),
  ],
};
