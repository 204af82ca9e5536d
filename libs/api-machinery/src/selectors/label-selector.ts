// Label selectors as kube-apiserver evaluates them (k8s.io/apimachinery/pkg/labels and
// metav1.LabelSelectorAsSelector): one immutable matcher type for the `?labelSelector=`
// string form and the `{matchLabels, matchExpressions}` object form controllers use.
import { ApiError } from '../meta/status';
import { labelValueErrors, qualifiedNameErrors } from '../meta/name-rules';
import { aggregate, invalidValue } from './label-syntax';

/** selection.Operator values, spelled as upstream. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/**
 * A parsed label selector. `requirements` are ANDed; `matchesNothing` is upstream's
 * labels.Nothing() (a nil object selector), which differs from the empty selector (everything).
 */
export interface LabelMatcher {
  readonly requirements: readonly LabelRequirement[];
  readonly matchesNothing?: boolean;
}

/** metav1.LabelSelectorRequirement (object form). */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

/** metav1.LabelSelector (object form, as in `spec.selector`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export const EVERYTHING_LABELS: LabelMatcher = Object.freeze({ requirements: Object.freeze([]) });
export const NOTHING_LABELS: LabelMatcher = Object.freeze({ requirements: Object.freeze([]), matchesNothing: true });

const INT64 = /^[+-]?\d+$/;

function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n > 9223372036854775807n || n < -9223372036854775808n ? undefined : n;
}

/** Key-path error as NewRequirement reports it (path `key`). */
export function labelKeyError(key: string, path: string | undefined): string | undefined {
  const errs = qualifiedNameErrors(key);
  return errs.length ? invalidValue(path, key, errs.join('; ')) : undefined;
}

/** labels.NewRequirement: validates and returns the requirement, or the aggregated error text. */
export function newLabelRequirement(
  key: string,
  operator: LabelOperator,
  values: readonly string[],
): LabelRequirement | string {
  const errs: string[] = [];
  const keyErr = labelKeyError(key, 'key');
  if (keyErr) errs.push(keyErr);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        errs.push(invalidValue('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        errs.push(invalidValue('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        errs.push(invalidValue('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1)
        errs.push(invalidValue('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined)
          errs.push(invalidValue(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalidValue(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  return aggregate(errs) ?? { key, operator, values: [...values] };
}

function byKey(a: LabelRequirement, b: LabelRequirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Builds a matcher from requirements, sorted by key as upstream does for a stable String(). */
export function labelMatcherOf(requirements: readonly LabelRequirement[]): LabelMatcher {
  return { requirements: [...requirements].sort(byKey) };
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const actual = parseInt64(value as string);
      const bound = parseInt64(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/** True when every requirement holds for `labels` (absent labels = no labels). */
export function matchesLabels(selector: LabelMatcher, labels?: Record<string, string> | null): boolean {
  if (selector.matchesNothing) return false;
  const set = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, set));
}

/** True for the selector that selects everything (empty string / empty object). */
export function labelSelectorIsEverything(selector: LabelMatcher): boolean {
  return !selector.matchesNothing && selector.requirements.length === 0;
}

function sortedValues(values: readonly string[]): string[] {
  return [...values].sort();
}

function requirementToString(r: LabelRequirement): string {
  const values = r.values.length === 1 ? r.values[0] : sortedValues(r.values).join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${values})`;
    case 'notin':
      return `${r.key} notin (${values})`;
    case 'gt':
      return `${r.key}>${values}`;
    case 'lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

/** Selector.String(): the canonical `?labelSelector=` form ("" for everything and nothing). */
export function labelSelectorToString(selector: LabelMatcher): string {
  return selector.requirements.map(requirementToString).join(',');
}

const OBJECT_OPERATORS: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * metav1.LabelSelectorAsSelector: null/undefined selects nothing, `{}` selects everything.
 * Invalid selectors throw ApiError 400 with upstream's message.
 */
export function labelSelectorFromObject(selector: LabelSelector | null | undefined): LabelMatcher {
  if (selector === null || selector === undefined) return NOTHING_LABELS;
  const matchLabels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + expressions.length === 0) return EVERYTHING_LABELS;
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(matchLabels)) {
    requirements.push(orThrow(newLabelRequirement(key, '=', [value])));
  }
  for (const expr of expressions) {
    const op = OBJECT_OPERATORS[expr.operator];
    if (!op) throw ApiError.badRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    requirements.push(orThrow(newLabelRequirement(expr.key, op, expr.values ?? [])));
  }
  return labelMatcherOf(requirements);
}

/** labels.SelectorFromSet: `k=v` for each entry, no validation (e.g. a Service's spec.selector). */
export function labelSelectorFromSet(set: Record<string, string> | null | undefined): LabelMatcher {
  return labelMatcherOf(Object.entries(set ?? {}).map(([key, value]) => ({ key, operator: '=', values: [value] })));
}

/** labels.FormatLabels: `a=b,c=d` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const s = labelSelectorToString(labelSelectorFromSet(labels));
  return s === '' ? '<none>' : s;
}

/** metav1.FormatLabelSelector: the object form as a string, `<none>` when empty or nil, `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  let s: string;
  try {
    s = labelSelectorToString(labelSelectorFromObject(selector));
  } catch {
    return '<error>';
  }
  return s === '' ? '<none>' : s;
}

function orThrow(r: LabelRequirement | string): LabelRequirement {
  if (typeof r === 'string') throw ApiError.badRequest(r);
  return r;
}
