// Field selectors (`?fieldSelector=`) as k8s.io/apimachinery/pkg/fields parses them, checked
// against the kind's supported field labels at parse time so a bad request fails before any read.
import { KubeObject } from '../meta/object';
import { ApiError } from '../meta/status';
import { SelectableFieldValues, SelectableKind, kindFields } from './selectable-fields';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  /** The field-set key after upstream's label conversion (e.g. `regarding.name` → `involvedObject.name`). */
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

export interface FieldMatcher {
  readonly type: SelectableKind;
  readonly requirements: readonly FieldRequirement[];
}

// Order matters: "!=" and "==" must win over "=" at the same position.
const TERM_OPERATORS: FieldOperator[] = ['!=', '==', '='];

// Splits on commas not preceded by a backslash escape.
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function splitTerm(term: string): { lhs: string; op: FieldOperator; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes; bare `,`/`=` are errors. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=')
        throw ApiError.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Upstream formats the rune with %v, i.e. as its code point.
      throw ApiError.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw ApiError.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** fields.EscapeValue. */
export function escapeFieldValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/**
 * Parses `?fieldSelector=` for resources of `type`. Syntax errors and field labels the kind
 * does not support throw ApiError 400 with upstream's message (`field label not supported: spec.foo`).
 */
export function parseFieldSelector(type: SelectableKind, selector: string): FieldMatcher {
  // Syntax first (fields.ParseSelector), then the kind's label conversion (Transform), as upstream.
  const parsed: FieldRequirement[] = [];
  for (const part of splitTerms(selector).sort()) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw ApiError.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    parsed.push({ field: term.lhs, operator: term.op, value: unescapeFieldValue(term.rhs) });
  }
  const kind = kindFields(type);
  const requirements = parsed.map((r) => {
    const field = Object.prototype.hasOwnProperty.call(kind.labels, r.field) ? kind.labels[r.field] : undefined;
    if (field === undefined) throw ApiError.badRequest(kind.unsupported(r.field));
    return { ...r, field };
  });
  return { type, requirements };
}

/** Selects everything: what an absent `?fieldSelector=` means. */
export function everythingFields(type: SelectableKind): FieldMatcher {
  return { type, requirements: [] };
}

function termMatches(r: FieldRequirement, set: SelectableFieldValues): boolean {
  const actual = set[r.field] ?? '';
  return r.operator === '!=' ? actual !== r.value : actual === r.value;
}

/** True when `obj` satisfies every term; fields the object lacks compare as "" (as upstream). */
export function matchesFields(selector: FieldMatcher, obj: KubeObject): boolean {
  if (selector.requirements.length === 0) return true;
  const set = kindFields(selector.type).fields(obj);
  return selector.requirements.every((r) => termMatches(r, set));
}

/**
 * The value a selector pins `field` to (`metadata.name=web`), if any: lets storage turn a
 * list into a point read, as kubectl's `rollout status` and `delete --wait` do.
 */
export function fieldSelectorExactValue(selector: FieldMatcher, field: string): string | undefined {
  const r = selector.requirements.find((x) => x.field === field && x.operator !== '!=');
  return r?.value;
}

/** Selector.String(): terms joined with commas, values escaped. */
export function fieldSelectorToString(selector: FieldMatcher): string {
  return selector.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}
