// core/v1 ResourceQuota and LimitRange (pkg/apis/core/validation: ValidateResourceQuota,
// ValidateLimitRange; resource name sets from pkg/apis/core/helper).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, duplicate, forbidden, GoValue, immutable, index, invalid, key, required } from './field-errors';
import { arrAt, objAt, strAt, type Obj } from './json-access';
import { qualifiedNameErrors, canonicalQuantity, QUANTITY_FORMAT_ERROR, tryParseQuantity } from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';

const STANDARD_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);
const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const INTEGER_RESOURCES = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);
const POD_COMPUTE_RESOURCES = new Set([
  'cpu',
  'memory',
  'limits.cpu',
  'limits.memory',
  'requests.cpu',
  'requests.memory',
]);
// VolumeAttributesClass needs a feature gate that 1.32 leaves off.
const STANDARD_SCOPES = new Set([
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
]);
const EXISTS_ONLY_SCOPES = new Set([
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'CrossNamespacePodAffinity',
]);
const CONFLICTING_SCOPES = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];
export const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isQuotaHugePages = (name: string): boolean => isHugePages(name) || name.startsWith('requests.hugepages-');
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
const isExtended = (name: string): boolean =>
  !isNative(name) && !name.startsWith('requests.') && qualifiedNameErrors(`requests.${name}`).length === 0;
const isOvercommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);
const isStandardQuotaResource = (name: string): boolean => STANDARD_QUOTA_RESOURCES.has(name) || isQuotaHugePages(name);

/** `%#v` of a []string-like slice, e.g. `[]core.ResourceQuotaScope{"BestEffort"}`. */
function goSlice(type: string, values: unknown[] | undefined): GoValue {
  if (!values || values.length === 0) return new GoValue(values ? `[]${type}{}` : `[]${type}(nil)`);
  return new GoValue(`[]${type}{${values.map((v) => JSON.stringify(String(v))).join(', ')}}`);
}

/** `validateResourceName`: a qualified name, standard unless it has a domain prefix. */
function validateResourceName(name: string, path: string): StatusCause[] {
  const out = qualifiedNameErrors(name).map((m) => invalid(path, name, m));
  if (out.length) return out;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isQuotaHugePages(name))
    out.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
  return out;
}

function validateQuotaResourceName(name: string, path: string): StatusCause[] {
  const out = validateResourceName(name, path);
  if (!name.includes('/') && !isStandardQuotaResource(name))
    out.push(invalid(path, name, 'must be a standard resource for quota'));
  return out;
}

function validateContainerResourceName(name: string, path: string): StatusCause[] {
  const out = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name))
      out.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name)) {
    out.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return out;
}

interface Quantity {
  value: number;
  /** Quantity.String(): the canonical form messages print. */
  text: string;
}

function quantityAt(v: unknown, path: string, out: StatusCause[]): Quantity | undefined {
  const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
  if (!q) {
    out.push(invalid(path, v ?? null, QUANTITY_FORMAT_ERROR));
    return undefined;
  }
  return { value: q.value, text: canonicalQuantity(v as string | number) };
}

/** `ValidateResourceQuantityValue`: not negative, whole for countable resources. */
function validateQuantityValue(name: string, q: Quantity, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (q.value < 0) out.push(invalid(path, q.text, 'must be greater than or equal to 0'));
  const integer = INTEGER_RESOURCES.has(name) || isExtended(name);
  // Quantities print through their String() method, without quotes.
  if (integer && Math.abs(q.value - Math.round(q.value)) > 1e-9)
    out.push(invalid(path, new GoValue(q.text), 'must be an integer'));
  return out;
}

function validateQuotaList(list: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [name, v] of Object.entries(objAt(list) ?? {})) {
    const p = key(path, name);
    out.push(...validateQuotaResourceName(name, p));
    const q = quantityAt(v, p, out);
    if (q) out.push(...validateQuantityValue(name, q, p));
  }
  return out;
}

/** IsResourceQuotaScopeValidForResource */
function scopeAppliesTo(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return resource === 'pods' || POD_COMPUTE_RESOURCES.has(resource);
    case 'BestEffort':
      return resource === 'pods';
    case 'VolumeAttributesClass':
      return resource === 'persistentvolumeclaims' || resource === 'requests.storage';
    default:
      return true;
  }
}

function conflicting(scopes: Set<string>): boolean {
  return CONFLICTING_SCOPES.some(([a, b]) => scopes.has(a) && scopes.has(b));
}

function validateScopes(spec: Obj, hard: string[]): StatusCause[] {
  const scopes = arrAt(spec.scopes).map((s) => String(s));
  if (scopes.length === 0) return [];
  const out: StatusCause[] = [];
  const value = goSlice('core.ResourceQuotaScope', scopes);
  for (const scope of scopes) {
    if (!STANDARD_SCOPES.has(scope)) out.push(invalid('spec.scopes', value, 'unsupported scope'));
    for (const r of hard)
      if (isStandardQuotaResource(r) && !scopeAppliesTo(scope, r))
        out.push(invalid('spec.scopes', value, 'unsupported scope applied to resource'));
  }
  if (conflicting(new Set(scopes))) out.push(invalid('spec.scopes', value, 'conflicting scopes'));
  return out;
}

function goScopeSelector(sel: Obj): GoValue {
  const reqs = arrAt(sel.matchExpressions).map((r) => {
    const o = objAt(r) ?? {};
    const values = Array.isArray(o.values) ? goSlice('string', o.values).text : '[]string(nil)';
    return `core.ScopedResourceSelectorRequirement{ScopeName:${JSON.stringify(strAt(o.scopeName) ?? '')}, Operator:${JSON.stringify(strAt(o.operator) ?? '')}, Values:${values}}`;
  });
  const list = Array.isArray(sel.matchExpressions)
    ? `[]core.ScopedResourceSelectorRequirement{${reqs.join(', ')}}`
    : '[]core.ScopedResourceSelectorRequirement(nil)';
  return new GoValue(`core.ScopeSelector{MatchExpressions:${list}}`);
}

function validateScopeSelector(spec: Obj, hard: string[]): StatusCause[] {
  const sel = objAt(spec.scopeSelector);
  if (!sel) return [];
  // Upstream reports these on the list path itself, without an index.
  const path = 'spec.scopeSelector.matchExpressions';
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const raw of arrAt(sel.matchExpressions)) {
    const req = objAt(raw) ?? {};
    const scope = strAt(req.scopeName) ?? '';
    const op = strAt(req.operator) ?? '';
    const values = arrAt(req.values);
    if (!STANDARD_SCOPES.has(scope)) out.push(invalid(child(path, 'scopeName'), scope, 'unsupported scope'));
    for (const r of hard)
      if (isStandardQuotaResource(r) && !scopeAppliesTo(scope, r))
        out.push(invalid(path, goScopeSelector(sel), 'unsupported scope applied to resource'));
    if (EXISTS_ONLY_SCOPES.has(scope) && op !== 'Exists') {
      out.push(
        invalid(
          child(path, 'operator'),
          op,
          "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0)
        out.push(
          required(
            child(path, 'values'),
            "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
          ),
        );
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length !== 0)
        out.push(
          invalid(
            child(path, 'values'),
            goSlice('string', values),
            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
          ),
        );
    } else {
      out.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
    }
    seen.add(scope);
  }
  const scopes = Array.isArray(spec.scopes) ? spec.scopes : undefined;
  if (conflicting(seen)) out.push(invalid(path, goSlice('core.ResourceQuotaScope', scopes), 'conflicting scopes'));
  return out;
}

/** Spec rules; status is cleared on create and kept from the stored object on update. */
export function validateResourceQuota(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const hard = Object.keys(objAt(spec.hard) ?? {}).sort();
  return [
    ...validateQuotaList(spec.hard, 'spec.hard'),
    ...validateScopes(spec, hard),
    ...validateScopeSelector(spec, hard),
  ];
}

export function validateResourceQuotaUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateResourceQuota(obj)];
  const scopes = arrAt(objAt(obj.spec)?.scopes).map(String);
  const oldScopes = arrAt(objAt(old.spec)?.scopes).map(String);
  const a = new Set(scopes);
  const b = new Set(oldScopes);
  if (a.size !== b.size || [...a].some((s) => !b.has(s))) {
    const raw = objAt(obj.spec)?.scopes;
    out.push(immutable('spec.scopes', goSlice('core.ResourceQuotaScope', Array.isArray(raw) ? raw : undefined)));
  }
  return out;
}

/** `ValidateResourceQuotaStatusUpdate` for /status writers (the quota controller). */
export function validateResourceQuotaStatus(obj: KubeObject): StatusCause[] {
  const status = objAt(obj.status) ?? {};
  return [...validateQuotaList(status.hard, 'status.hard'), ...validateQuotaList(status.used, 'status.used')];
}

function validateLimitTypeName(type: string, path: string): StatusCause[] {
  const out = qualifiedNameErrors(type).map((m) => invalid(path, type, m));
  if (out.length) return out;
  if (!type.includes('/') && !LIMIT_TYPES.includes(type))
    out.push(invalid(path, type, 'must be a standard limit type or fully qualified'));
  return out;
}

type QuantityMap = Map<string, Quantity>;

function limitList(
  item: Obj,
  field: string,
  type: string,
  base: string,
  keys: Set<string>,
  out: StatusCause[],
): QuantityMap {
  const m: QuantityMap = new Map();
  for (const [name, v] of Object.entries(objAt(item[field]) ?? {})) {
    const p = key(child(base, field), name);
    out.push(
      ...(type === 'Pod' || type === 'Container'
        ? validateContainerResourceName(name, p)
        : validateResourceName(name, p)),
    );
    keys.add(name);
    const q = quantityAt(v, p, out);
    if (q) m.set(name, q);
  }
  return m;
}

function compareLimits(
  base: string,
  k: string,
  lists: Record<'min' | 'max' | 'def' | 'defReq' | 'ratio', QuantityMap>,
): StatusCause[] {
  const out: StatusCause[] = [];
  const min = lists.min.get(k);
  const max = lists.max.get(k);
  const def = lists.def.get(k);
  const defReq = lists.defReq.get(k);
  const ratio = lists.ratio.get(k);
  const at = (field: string): string => key(child(base, field), k);
  // Quantities print through their String() method, without quotes.
  const shown = (q: Quantity): GoValue => new GoValue(q.text);
  if (min && max && min.value > max.value)
    out.push(invalid(at('min'), shown(min), `min value ${min.text} is greater than max value ${max.text}`));
  if (defReq && min && min.value > defReq.value)
    out.push(
      invalid(
        at('defaultRequest'),
        shown(defReq),
        `min value ${min.text} is greater than default request value ${defReq.text}`,
      ),
    );
  if (defReq && max && defReq.value > max.value)
    out.push(
      invalid(
        at('defaultRequest'),
        shown(defReq),
        `default request value ${defReq.text} is greater than max value ${max.text}`,
      ),
    );
  if (defReq && def && defReq.value > def.value)
    out.push(
      invalid(
        at('defaultRequest'),
        shown(defReq),
        `default request value ${defReq.text} is greater than default limit value ${def.text}`,
      ),
    );
  if (def && min && min.value > def.value)
    out.push(invalid(at('default'), shown(min), `min value ${min.text} is greater than default value ${def.text}`));
  if (def && max && def.value > max.value)
    out.push(invalid(at('default'), shown(max), `default value ${def.text} is greater than max value ${max.text}`));
  if (ratio && ratio.value < 1)
    out.push(invalid(at('maxLimitRequestRatio'), shown(ratio), `ratio ${ratio.text} is less than 1`));
  if (ratio && min && max) {
    const limit = max.value / min.value;
    if (ratio.value > limit)
      out.push(
        invalid(
          at('maxLimitRequestRatio'),
          shown(ratio),
          `ratio ${ratio.text} is greater than max/min = ${limit.toFixed(6)}`,
        ),
      );
  }
  // GPUs, hugepages and other resources that cannot be overcommitted need default == defaultRequest.
  if (!isOvercommitAllowed(k) && def && defReq && def.value !== defReq.value) {
    out.push(
      invalid(
        at('defaultRequest'),
        shown(defReq),
        `default value ${def.text} must equal to defaultRequest value ${defReq.text} in ${k}`,
      ),
    );
  }
  return out;
}

export function validateLimitRange(obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const seenTypes = new Set<string>();
  for (const [i, raw] of arrAt(objAt(obj.spec)?.limits).entries()) {
    const item = objAt(raw) ?? {};
    const base = index('spec.limits', i);
    const type = strAt(item.type) ?? '';
    out.push(...validateLimitTypeName(type, child(base, 'type')));
    if (seenTypes.has(type)) out.push(duplicate(child(base, 'type'), type));
    seenTypes.add(type);
    const keys = new Set<string>();
    const max = limitList(item, 'max', type, base, keys, out);
    const min = limitList(item, 'min', type, base, keys, out);
    let def: QuantityMap = new Map();
    let defReq: QuantityMap = new Map();
    if (type === 'Pod') {
      if (Object.keys(objAt(item.default) ?? {}).length > 0)
        out.push(forbidden(child(base, 'default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(objAt(item.defaultRequest) ?? {}).length > 0)
        out.push(forbidden(child(base, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
    } else {
      def = limitList(item, 'default', type, base, keys, out);
      defReq = limitList(item, 'defaultRequest', type, base, keys, out);
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      out.push(
        required(
          child(base, 'limits'),
          'either minimum or maximum storage value is required, but neither was provided',
        ),
      );
    }
    const ratio = limitList(item, 'maxLimitRequestRatio', type, base, keys, out);
    for (const k of keys) out.push(...compareLimits(base, k, { min, max, def, defReq, ratio }));
  }
  return out;
}
