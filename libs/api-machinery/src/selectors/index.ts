export {
  EVERYTHING_LABELS,
  NOTHING_LABELS,
  formatLabelSelector,
  formatLabels,
  labelMatcherOf,
  labelSelectorFromObject,
  labelSelectorFromSet,
  labelSelectorIsEverything,
  labelSelectorToString,
  matchesLabels,
} from './label-selector';
export type {
  LabelMatcher,
  LabelOperator,
  LabelRequirement,
  LabelSelector,
  LabelSelectorRequirement,
} from './label-selector';
export { parseLabelSelector } from './label-selector.parser';
export {
  escapeFieldValue,
  everythingFields,
  fieldSelectorExactValue,
  fieldSelectorToString,
  matchesFields,
  parseFieldSelector,
  unescapeFieldValue,
} from './field-selector';
export type { FieldMatcher, FieldOperator, FieldRequirement } from './field-selector';
export { selectableFields } from './selectable-fields';
export type { SelectableFieldValues, SelectableKind } from './selectable-fields';
