// rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation and v1/defaults.go).
import { nameIsDnsSubdomain, type KubeObject, type NameValidator, type StatusCause } from '@skiff/api-machinery';
import { GoValue, invalid, notSupported, required } from './field-errors';
import { validateLabelSelector } from './label-selector.validation';
import { validateObjectMetaUpdate } from './object-meta.validation';
import { ensureObj, type Obj } from './json-access';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** ValidateRBACName: path.IsValidPathSegmentName. */
export const nameIsPathSegment: NameValidator = (name) => {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const out: string[] = [];
  for (const c of ['/', '%']) if (name.includes(c)) out.push(`may not contain '${c}'`);
  return out;
};

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function goStrings(v: unknown): GoValue {
  return new GoValue(
    `[]string{${strings(v)
      .map((s) => JSON.stringify(s))
      .join(', ')}}`,
  );
}

function validatePolicyRule(rule: Obj, namespaced: boolean, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (strings(rule.verbs).length === 0) out.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (strings(rule.nonResourceURLs).length > 0) {
    if (namespaced)
      out.push(
        invalid(
          `${path}.nonResourceURLs`,
          goStrings(rule.nonResourceURLs),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (strings(rule.apiGroups).length || strings(rule.resources).length || strings(rule.resourceNames).length)
      out.push(
        invalid(
          `${path}.nonResourceURLs`,
          goStrings(rule.nonResourceURLs),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    return out;
  }
  if (strings(rule.apiGroups).length === 0)
    out.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (strings(rule.resources).length === 0)
    out.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return out;
}

function rulesOf(obj: KubeObject, namespaced: boolean): StatusCause[] {
  const rules = Array.isArray((obj as Obj).rules) ? ((obj as Obj).rules as Obj[]) : [];
  return rules.flatMap((r, i) => validatePolicyRule(r ?? {}, namespaced, `rules[${i}]`));
}

export function validateRole(obj: KubeObject): StatusCause[] {
  return rulesOf(obj, true);
}

export function validateClusterRole(obj: KubeObject): StatusCause[] {
  const out = rulesOf(obj, false);
  const agg = (obj as Obj).aggregationRule as Obj | undefined | null;
  if (agg) {
    const selectors = Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : [];
    if (selectors.length === 0)
      out.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    selectors.forEach((s, i) => out.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
  }
  return out;
}

function validateSubject(subject: Obj, namespaced: boolean, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const name = typeof subject.name === 'string' ? subject.name : '';
  const apiGroup = typeof subject.apiGroup === 'string' ? subject.apiGroup : '';
  if (!name) out.push(required(`${path}.name`, ''));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name) for (const msg of nameIsDnsSubdomain(name, false)) out.push(invalid(`${path}.name`, name, msg));
      if (apiGroup) out.push(notSupported(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !subject.namespace) out.push(required(`${path}.namespace`, ''));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) out.push(notSupported(`${path}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      out.push(notSupported(`${path}.kind`, subject.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return out;
}

function validateBinding(obj: KubeObject, namespaced: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = ((obj as Obj).roleRef ?? {}) as Obj;
  const apiGroup = typeof ref.apiGroup === 'string' ? ref.apiGroup : '';
  if (apiGroup !== RBAC_GROUP) out.push(notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  if (!kinds.includes(kind)) out.push(notSupported('roleRef.kind', kind, kinds));
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (!name) out.push(required('roleRef.name', ''));
  else for (const msg of nameIsPathSegment(name, false)) out.push(invalid('roleRef.name', name, msg));
  const subjects = Array.isArray((obj as Obj).subjects) ? ((obj as Obj).subjects as Obj[]) : [];
  subjects.forEach((s, i) => out.push(...validateSubject(s ?? {}, namespaced, `subjects[${i}]`)));
  return out;
}

export const validateRoleBinding = (obj: KubeObject): StatusCause[] => validateBinding(obj, true);
export const validateClusterRoleBinding = (obj: KubeObject): StatusCause[] => validateBinding(obj, false);

function goRoleRef(ref: Obj): GoValue {
  const f = (k: string): string => JSON.stringify(typeof ref[k] === 'string' ? ref[k] : '');
  return new GoValue(`rbac.RoleRef{APIGroup:${f('apiGroup')}, Kind:${f('kind')}, Name:${f('name')}}`);
}

/** A binding's roleRef may not change: delete and recreate the binding instead. */
function bindingUpdate(create: (o: KubeObject) => StatusCause[]): (o: KubeObject, old: KubeObject) => StatusCause[] {
  return (o, old) => {
    const out = [...create(o), ...validateObjectMetaUpdate(o.metadata, old.metadata)];
    const ref = ((o as Obj).roleRef ?? {}) as Obj;
    if (JSON.stringify(goRoleRef(ref)) !== JSON.stringify(goRoleRef(((old as Obj).roleRef ?? {}) as Obj)))
      out.push(invalid('roleRef', goRoleRef(ref), 'cannot change roleRef'));
    return out;
  };
}

export const validateRoleBindingUpdate = bindingUpdate(validateRoleBinding);
export const validateClusterRoleBindingUpdate = bindingUpdate(validateClusterRoleBinding);

/** v1 defaults: a roleRef's and a User or Group subject's apiGroup is RBAC's. */
export function defaultBinding(o: Obj): void {
  // roleRef is a struct, not a pointer: even a missing one gets its apiGroup.
  const ref = ensureObj(o, 'roleRef');
  if (!ref.apiGroup) ref.apiGroup = RBAC_GROUP;
  for (const s of Array.isArray(o.subjects) ? (o.subjects as Obj[]) : []) {
    if (s && typeof s === 'object' && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}
