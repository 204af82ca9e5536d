// metav1.LabelSelector as validation sees it: syntax checks, matching a template, Go-style rendering.
import type { StatusCause } from '@skiff/api-machinery';
import { child, forbidden, GoValue, goStringMap, index, invalid, required } from './field-errors';
import { arrAt, objAt, strAt } from './json-access';
import { qualifiedNameErrors } from '@skiff/api-machinery';
import { validateLabels } from './object-meta.validation';

export function validateLabelSelector(raw: unknown, path: string): StatusCause[] {
  const sel = objAt(raw);
  if (!sel) return [];
  const out: StatusCause[] = [...validateLabels(sel.matchLabels, child(path, 'matchLabels'))];
  for (const [i, e] of arrAt(sel.matchExpressions).entries()) {
    const req = objAt(e) ?? {};
    const p = index(child(path, 'matchExpressions'), i);
    const op = strAt(req.operator) ?? '';
    const values = arrAt(req.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0)
        out.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0)
        out.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      out.push(invalid(child(p, 'operator'), op, 'not a valid selector operator'));
    }
    const k = strAt(req.key) ?? '';
    for (const m of qualifiedNameErrors(k)) out.push(invalid(child(p, 'key'), k, m));
  }
  return out;
}

export function isEmptySelector(raw: unknown): boolean {
  const sel = objAt(raw);
  return Object.keys(objAt(sel?.matchLabels) ?? {}).length === 0 && arrAt(sel?.matchExpressions).length === 0;
}

/** Whether a LabelSelector selects a label set (an empty selector selects everything). */
export function selectorMatches(raw: unknown, labels: Record<string, string>): boolean {
  const sel = objAt(raw) ?? {};
  for (const [k, v] of Object.entries(objAt(sel.matchLabels) ?? {})) if (labels[k] !== v) return false;
  for (const e of arrAt(sel.matchExpressions)) {
    const req = objAt(e) ?? {};
    const k = strAt(req.key) ?? '';
    const values = arrAt(req.values).map(String);
    const has = Object.prototype.hasOwnProperty.call(labels, k);
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(labels[k])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[k])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function stringMapOf(raw: unknown): Record<string, string> | undefined {
  const o = objAt(raw);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k] = String(v);
  return out;
}

/** `%#v` of a *metav1.LabelSelector, as kubectl users see it in "field is immutable" errors. */
export function goLabelSelector(raw: unknown): GoValue {
  const sel = objAt(raw);
  if (!sel) return new GoValue('null');
  const exprs = arrAt(sel.matchExpressions);
  const exprText = exprs.length
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((e) => {
          const r = objAt(e) ?? {};
          const vals = arrAt(r.values);
          const valText = vals.length
            ? `[]string{${vals.map((v) => JSON.stringify(String(v))).join(', ')}}`
            : '[]string(nil)';
          return `v1.LabelSelectorRequirement{Key:${JSON.stringify(strAt(r.key) ?? '')}, Operator:${JSON.stringify(strAt(r.operator) ?? '')}, Values:${valText}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoValue(
    `v1.LabelSelector{MatchLabels:${goStringMap(stringMapOf(sel.matchLabels)).text}, MatchExpressions:${exprText}}`,
  );
}
