// Upstream's LimitRanger admission (plugin/pkg/admission/limitranger): container defaults on create,
// then min, max and maxLimitRequestRatio bounds for Container, Pod and PersistentVolumeClaim.
import { canonicalQuantity, isJsonObject, JsonObject, KubeObject, tryParseQuantity } from '@skiff/api-machinery';

const obj = (v: unknown): JsonObject => (isJsonObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
type List = Record<string, string>;
const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function listOf(v: unknown): List {
  const out: List = {};
  for (const [k, q] of Object.entries(obj(v))) if (typeof q === 'string' || typeof q === 'number') out[k] = String(q);
  return out;
}

function itemsOf(ranges: readonly KubeObject[], type: string): JsonObject[] {
  return ranges.flatMap((r) => arr(obj(r.spec).limits).map(obj)).filter((i) => i.type === type);
}

/** The container defaults of the ranges, with LimitRangeItem defaulting (default ← max, defaultRequest ← default ← min). */
function containerDefaults(ranges: readonly KubeObject[]): { requests: List; limits: List } {
  const requests: List = {};
  const limits: List = {};
  for (const item of itemsOf(ranges, 'Container')) {
    const max = listOf(item.max);
    const min = listOf(item.min);
    const def = { ...max, ...listOf(item.default) };
    Object.assign(limits, def);
    Object.assign(requests, { ...min, ...def, ...listOf(item.defaultRequest) });
  }
  return { requests, limits };
}

function mergeContainer(c: JsonObject, defaults: { requests: List; limits: List }, prefix: string): string[] {
  const resources = obj(c.resources);
  const limits = listOf(resources.limits);
  const requests = listOf(resources.requests);
  const setLimits = Object.keys(defaults.limits).filter((k) => !(k in limits));
  const setRequests = Object.keys(defaults.requests).filter((k) => !(k in requests));
  for (const k of setLimits) limits[k] = defaults.limits[k];
  for (const k of setRequests) requests[k] = defaults.requests[k];
  if (setLimits.length + setRequests.length > 0) {
    c.resources = {
      ...resources,
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
    };
  }
  const name = String(c.name ?? '');
  const notes: string[] = [];
  if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${name}`);
  if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${name}`);
  return notes;
}

/** A new pod with the namespace's container defaults, and the annotation that says what was set. */
export function withLimitRangeDefaults(pod: KubeObject, ranges: readonly KubeObject[]): KubeObject {
  const defaults = containerDefaults(ranges);
  if (Object.keys(defaults.requests).length + Object.keys(defaults.limits).length === 0) return pod;
  const out = structuredClone(pod);
  const spec = obj(out.spec);
  const notes = [
    ...arr(spec.containers).flatMap((c) => mergeContainer(obj(c), defaults, 'container')),
    ...arr(spec.initContainers).flatMap((c) => mergeContainer(obj(c), defaults, 'init container')),
  ];
  if (notes.length > 0) {
    out.metadata.annotations = {
      ...out.metadata.annotations,
      [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
    };
  }
  return out;
}

const value = (q: string | undefined): number => (q === undefined ? 0 : (tryParseQuantity(q)?.value ?? 0));
const show = (q: string): string => canonicalQuantity(q);

function minConstraint(type: string, name: string, enforced: string, requests: List, limits: List): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  if (req === undefined) return `minimum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (value(req) < value(enforced))
    return `minimum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req)}`;
  if (lim !== undefined && value(lim) < value(enforced))
    return `minimum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: string, requests: List, limits: List): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  if (lim === undefined) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No limit is specified`;
  if (value(lim) > value(enforced))
    return `maximum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(lim)}`;
  if (req !== undefined && value(req) > value(enforced))
    return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req)}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: string, requests: List): string | undefined {
  const req = requests[name];
  if (req === undefined) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (value(req) > value(enforced))
    return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req)}`;
  return undefined;
}

function ratioConstraint(
  type: string,
  name: string,
  enforced: string,
  requests: List,
  limits: List,
): string | undefined {
  const req = value(requests[name]);
  const lim = value(limits[name]);
  const head = `${name} max limit to request ratio per ${type} is ${show(enforced)}`;
  if (req === 0) return `${head}, but no request is specified or request is 0`;
  if (lim === 0) return `${head}, but no limit is specified or limit is 0`;
  const ratio = lim / req;
  // Go compares in milli-units; %f prints six decimals.
  if (Math.round(ratio * 1000 * 1e6) / 1e6 > Math.round(value(enforced) * 1000))
    return `${head}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

function bounds(item: JsonObject, type: string, requests: List, limits: List): string[] {
  const sorted = (l: List) => Object.keys(l).sort();
  const min = listOf(item.min);
  const max = listOf(item.max);
  const ratio = listOf(item.maxLimitRequestRatio);
  return [
    ...sorted(min).map((k) => minConstraint(type, k, min[k], requests, limits)),
    ...sorted(max).map((k) => maxConstraint(type, k, max[k], requests, limits)),
    ...sorted(ratio).map((k) => ratioConstraint(type, k, ratio[k], requests, limits)),
  ].filter((e): e is string => e !== undefined);
}

function sumLists(lists: List[]): List {
  const out: Record<string, number> = {};
  for (const l of lists) for (const [k, v] of Object.entries(l)) out[k] = (out[k] ?? 0) + value(v);
  // Float sums of milli-quantities drift (0.1 + 0.2): small values keep nano precision.
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, String(Math.abs(v) < 1e6 ? Math.round(v * 1e9) / 1e9 : v)]),
  );
}

function maxLists(a: List, b: List): List {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (out[k] === undefined || value(v) > value(out[k])) out[k] = v;
  return out;
}

/** The bounds a pod breaks, in upstream's words; empty when it keeps them all. */
export function podLimitRangeViolations(pod: KubeObject, ranges: readonly KubeObject[]): string[] {
  const spec = obj(pod.spec);
  const containers = [...arr(spec.containers), ...arr(spec.initContainers)].map((c) => obj(obj(c).resources));
  const errs: string[] = [];
  for (const item of itemsOf(ranges, 'Container')) {
    for (const r of containers) errs.push(...bounds(item, 'Container', listOf(r.requests), listOf(r.limits)));
  }
  const podItems = itemsOf(ranges, 'Pod');
  if (podItems.length > 0) {
    const app = arr(spec.containers).map((c) => obj(obj(c).resources));
    const init = arr(spec.initContainers).map((c) => obj(obj(c).resources));
    const total = (key: 'requests' | 'limits') =>
      init.reduce<List>((m, r) => maxLists(m, listOf(r[key])), sumLists(app.map((r) => listOf(r[key]))));
    for (const item of podItems) errs.push(...bounds(item, 'Pod', total('requests'), total('limits')));
  }
  return errs;
}

/** The bounds a claim breaks: min and max of what it requests. */
export function claimLimitRangeViolations(claim: KubeObject, ranges: readonly KubeObject[]): string[] {
  const requests = listOf(obj(obj(claim.spec).resources).requests);
  const errs: string[] = [];
  for (const item of itemsOf(ranges, 'PersistentVolumeClaim')) {
    const min = listOf(item.min);
    const max = listOf(item.max);
    for (const k of Object.keys(min).sort())
      errs.push(minConstraint('PersistentVolumeClaim', k, min[k], requests, {}) ?? '');
    for (const k of Object.keys(max).sort())
      errs.push(maxRequestConstraint('PersistentVolumeClaim', k, max[k], requests) ?? '');
  }
  return errs.filter((e) => e !== '');
}

/** Upstream's aggregate error text: one message as is, several in brackets. */
export function aggregateMessage(errs: readonly string[]): string {
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}
