// ResourceQuota evaluation as upstream's quota evaluators (pkg/quota/v1/evaluator/core) and the
// admission check (plugin/pkg/admission/resourcequota): what an object uses, which quotas match it
// by scope, and the exact messages of a refusal. Shared by the API server and the quota controller.
import { isJsonObject, JsonObject, KubeObject } from '../meta/object';
import { formatQuantity, QuantityFormat, tryParseQuantity } from '../quantity/quantity';

/** A quantity as the quota code adds them: the value in base units and the format it prints in. */
export interface Amount {
  value: number;
  format: QuantityFormat;
}
export type Usage = Map<string, Amount>;

const ZERO: Amount = { value: 0, format: 'DecimalSI' };
const one = (): Amount => ({ value: 1, format: 'DecimalSI' });

// Float sums of milli-quantities drift (0.1 + 0.2); small values are kept to nano precision.
function fix(x: number): number {
  return Math.abs(x) < 1e6 ? Math.round(x * 1e9) / 1e9 : x;
}

export function addAmount(a: Amount, b: Amount): Amount {
  return { value: fix(a.value + b.value), format: a.value === 0 ? b.format : a.format };
}

export function amountOf(q: unknown): Amount | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  const p = tryParseQuantity(q);
  return p && { value: p.value, format: p.format };
}

export function formatAmount(a: Amount): string {
  return formatQuantity(a.value, a.format);
}

/** A ResourceList (name → quantity string) as a Usage; unparseable entries are left out. */
export function usageOf(list: unknown): Usage {
  const out: Usage = new Map();
  if (!isJsonObject(list)) return out;
  for (const [k, v] of Object.entries(list)) {
    const a = amountOf(v);
    if (a) out.set(k, a);
  }
  return out;
}

export function usageToList(usage: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...usage.keys()].sort()) out[k] = formatAmount(usage.get(k)!);
  return out;
}

export function addUsage(a: Usage, b: Usage): Usage {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, addAmount(out.get(k) ?? ZERO, v));
  return out;
}

/** a − b, never below zero (upstream's SubtractWithNonNegativeResult). */
export function subtractUsage(a: Usage, b: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of a) {
    const d = fix(v.value - (b.get(k)?.value ?? 0));
    out.set(k, { value: Math.max(0, d), format: v.format });
  }
  return out;
}

export function maskUsage(u: Usage, names: Iterable<string>): Usage {
  const out: Usage = new Map();
  for (const n of names) if (u.has(n)) out.set(n, u.get(n)!);
  return out;
}

/** `requests.cpu=2,requests.memory=1Gi`, sorted, as upstream's prettyPrint. */
export function prettyPrintUsage(u: Usage): string {
  return [...u.keys()]
    .sort()
    .map((k) => `${k}=${formatAmount(u.get(k)!)}`)
    .join(',');
}

const obj = (v: unknown): JsonObject => (isJsonObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A resource by group and plural name, as quota names it in `count/<resource>[.<group>]`. */
export interface QuotaResource {
  group: string;
  resource: string;
}

export function countName(r: QuotaResource): string {
  return r.group === '' ? `count/${r.resource}` : `count/${r.resource}.${r.group}`;
}

/** `count/deployments.apps` → { group: 'apps', resource: 'deployments' }. */
export function parseCountName(name: string): QuotaResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

// Core resources whose plain name is also an object count (upstream's legacy names).
const LEGACY_COUNTS = new Set([
  'pods',
  'services',
  'configmaps',
  'secrets',
  'replicationcontrollers',
  'resourcequotas',
  'persistentvolumeclaims',
]);
const POD_COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];
// Resources each container must name once a matching quota constrains them (pods.go validationSet).
const CONTAINER_REQUIRED = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

function isPodComputeResource(name: string): boolean {
  if (POD_COMPUTE.includes(name)) return true;
  const [prefix, rest] = name.split(/\.(.*)/s);
  return (prefix === 'requests' || prefix === 'limits') && rest !== undefined && rest !== '';
}

/** The resource names an evaluator for `r` answers for, among `names` (upstream's MatchingResources). */
export function matchingResources(r: QuotaResource, names: Iterable<string>): string[] {
  return [...names].filter((n) => {
    if (n === countName(r)) return true;
    if (r.group !== '') return false;
    if (LEGACY_COUNTS.has(n)) return n === r.resource;
    switch (r.resource) {
      case 'pods':
        return isPodComputeResource(n);
      case 'services':
        return n === 'services.loadbalancers' || n === 'services.nodeports';
      case 'persistentvolumeclaims':
        return (
          n === 'requests.storage' ||
          (n.includes(STORAGE_CLASS_SUFFIX) &&
            (n.endsWith('/requests.storage') || n.endsWith('/persistentvolumeclaims')))
        );
      default:
        return false;
    }
  });
}

function containerUsage(resources: unknown): Usage {
  const r = obj(resources);
  const out: Usage = new Map();
  for (const [k, v] of Object.entries(obj(r.requests))) {
    const a = amountOf(v);
    if (!a) continue;
    if (POD_COMPUTE.includes(k)) out.set(k, a);
    out.set(`requests.${k}`, a);
  }
  for (const [k, v] of Object.entries(obj(r.limits))) {
    const a = amountOf(v);
    if (a) out.set(`limits.${k}`, a);
  }
  return out;
}

function maxUsage(a: Usage, b: Usage): Usage {
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k) || out.get(k)!.value < v.value) out.set(k, v);
  return out;
}

/** What a pod's containers ask for: the sum of its containers, at least its largest init container, plus overhead. */
export function podComputeUsage(pod: KubeObject): Usage {
  const spec = obj(pod.spec);
  let sum: Usage = new Map();
  for (const c of arr(spec.containers)) sum = addUsage(sum, containerUsage(obj(c).resources));
  let init: Usage = new Map();
  for (const c of arr(spec.initContainers)) {
    const u = containerUsage(obj(c).resources);
    // Sidecars (restartPolicy Always) run beside the app containers: they add up.
    if (obj(c).restartPolicy === 'Always') sum = addUsage(sum, u);
    else init = maxUsage(init, u);
  }
  let total = maxUsage(sum, init);
  const overhead = usageOf(spec.overhead);
  if (overhead.size > 0) {
    const o: Usage = new Map();
    for (const [k, v] of overhead) {
      if (POD_COMPUTE.includes(k)) o.set(k, v);
      o.set(`requests.${k}`, v);
      if (total.has(`limits.${k}`)) o.set(`limits.${k}`, v);
    }
    total = addUsage(total, o);
  }
  return total;
}

/** Succeeded and Failed pods use nothing; nor does a pod whose grace period has run out. */
export function podIsTerminal(pod: KubeObject, now: Date): boolean {
  const phase = obj(pod.status).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const deleted = pod.metadata.deletionTimestamp;
  if (!deleted) return false;
  const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
  return now.getTime() > Date.parse(deleted) + grace * 1000;
}

function serviceUsage(svc: KubeObject): Usage {
  const spec = obj(svc.spec);
  const out: Usage = new Map([
    ['services', one()],
    ['count/services', one()],
  ]);
  const ports = arr(spec.ports).length;
  if (spec.type === 'LoadBalancer') {
    out.set('services.loadbalancers', one());
    if (spec.allocateLoadBalancerNodePorts !== false)
      out.set('services.nodeports', { value: ports, format: 'DecimalSI' });
  } else if (spec.type === 'NodePort') {
    out.set('services.nodeports', { value: ports, format: 'DecimalSI' });
  }
  return out;
}

function claimUsage(claim: KubeObject): Usage {
  const spec = obj(claim.spec);
  const out: Usage = new Map([
    ['persistentvolumeclaims', one()],
    ['count/persistentvolumeclaims', one()],
  ]);
  const cls = claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? spec.storageClassName;
  const className = typeof cls === 'string' && cls !== '' ? cls : undefined;
  if (className) out.set(`${className}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one());
  const storage = amountOf(obj(obj(spec.resources).requests).storage);
  if (storage) {
    out.set('requests.storage', storage);
    if (className) out.set(`${className}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return out;
}

/** What one object counts for against quota; a terminal pod counts for nothing. */
export function objectUsage(r: QuotaResource, o: KubeObject, now: Date): Usage {
  if (r.group === '' && r.resource === 'pods') {
    if (podIsTerminal(o, now)) return new Map();
    return new Map([...podComputeUsage(o), ['pods', one()], ['count/pods', one()]]);
  }
  if (r.group === '' && r.resource === 'services') return serviceUsage(o);
  if (r.group === '' && r.resource === 'persistentvolumeclaims') return claimUsage(o);
  const out: Usage = new Map([[countName(r), one()]]);
  if (r.group === '' && LEGACY_COUNTS.has(r.resource)) out.set(r.resource, one());
  return out;
}

/** Whether a create or update of this resource is charged against quota (upstream's Handles). */
export function chargedOnUpdate(r: QuotaResource): boolean {
  return r.group === '' && (r.resource === 'services' || r.resource === 'persistentvolumeclaims');
}

// --- scopes --------------------------------------------------------------------------------------

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

function scopesOf(quota: KubeObject): ScopeRequirement[] {
  const spec = obj(quota.spec);
  const out: ScopeRequirement[] = arr(spec.scopes)
    .filter((s): s is string => typeof s === 'string')
    .map((s) => ({ scopeName: s, operator: 'Exists', values: [] }));
  for (const e of arr(obj(spec.scopeSelector).matchExpressions)) {
    const x = obj(e);
    out.push({
      scopeName: String(x.scopeName ?? ''),
      operator: String(x.operator ?? ''),
      values: arr(x.values).map(String),
    });
  }
  return out;
}

function isBestEffort(pod: KubeObject): boolean {
  const spec = obj(pod.spec);
  return [...arr(spec.containers), ...arr(spec.initContainers)].every((c) => {
    const r = obj(obj(c).resources);
    return Object.keys(obj(r.requests)).length === 0 && Object.keys(obj(r.limits)).length === 0;
  });
}

function hasCrossNamespaceAffinity(pod: KubeObject): boolean {
  const affinity = obj(obj(pod.spec).affinity);
  return ['podAffinity', 'podAntiAffinity'].some((kind) => {
    const a = obj(affinity[kind]);
    const terms = [
      ...arr(a.requiredDuringSchedulingIgnoredDuringExecution),
      ...arr(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => obj(w).podAffinityTerm),
    ];
    return terms.some((t) => arr(obj(t).namespaces).length > 0 || obj(t).namespaceSelector !== undefined);
  });
}

function podMatchesScope(pod: KubeObject, s: ScopeRequirement): boolean {
  const spec = obj(pod.spec);
  switch (s.scopeName) {
    case 'Terminating':
      return typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
    case 'NotTerminating':
      return !(typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return hasCrossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const pc = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
      switch (s.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return pc !== '' && s.values.includes(pc);
        case 'NotIn':
          return pc !== '' && !s.values.includes(pc);
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

/** Whether a quota's scopes select the object: only pods can match a scoped quota. */
export function quotaMatches(quota: KubeObject, r: QuotaResource, o: KubeObject): boolean {
  const scopes = scopesOf(quota);
  if (scopes.length === 0) return true;
  if (!(r.group === '' && r.resource === 'pods')) return false;
  return scopes.every((s) => podMatchesScope(o, s));
}

// --- admission ------------------------------------------------------------------------------------

/** A refusal, with upstream's message (the caller words the 403 around it). */
export class QuotaExceededError extends Error {}

function sortedQuotas(quotas: readonly KubeObject[]): KubeObject[] {
  return [...quotas].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** `must specify limits.cpu for: app; requests.memory for: app,side` when a container leaves out what a quota constrains. */
function missingContainerResources(pod: KubeObject, restricted: string[]): string | undefined {
  const required = restricted.filter((n) => CONTAINER_REQUIRED.has(n));
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  const spec = obj(pod.spec);
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const have = containerUsage(obj(c).resources);
    for (const n of required) {
      if (have.has(n)) continue;
      if (!missing.has(n)) missing.set(n, new Set());
      missing.get(n)!.add(String(obj(c).name ?? ''));
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((n) => `${n} for: ${[...missing.get(n)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/**
 * Charges a create (no `old`) or update against the namespace's quotas, as upstream's
 * CheckRequest: only quotas whose status carries the hard limits take part, and the new usage is
 * status.used plus what the object adds. Returns the quotas whose status.used changed; throws a
 * QuotaExceededError with upstream's message when one would be exceeded.
 */
export function chargeQuotas(
  quotas: readonly KubeObject[],
  r: QuotaResource,
  o: KubeObject,
  old: KubeObject | undefined,
  now: Date,
): KubeObject[] {
  let delta = objectUsage(r, o, now);
  if (old) delta = subtractUsage(delta, objectUsage(r, old, now));
  const charged: KubeObject[] = [];
  for (const quota of sortedQuotas(quotas)) {
    const name = quota.metadata.name ?? '';
    const status = obj(quota.status);
    const hard = usageOf(status.hard);
    const restricted = matchingResources(r, hard.keys());
    if (restricted.length === 0 || !quotaMatches(quota, r, o)) continue;
    if (r.group === '' && r.resource === 'pods') {
      const missing = missingContainerResources(o, restricted);
      if (missing) throw new QuotaExceededError(`failed quota: ${name}: ${missing}`);
    }
    const used = usageOf(status.used);
    const unknown = restricted.filter((n) => !used.has(n));
    if (unknown.length > 0) {
      throw new QuotaExceededError(`status unknown for quota: ${name}, resource: ${unknown.sort().join(',')}`);
    }
    const requested = maskUsage(delta, restricted);
    if ([...requested.values()].every((a) => a.value === 0)) continue;
    const newUsed = addUsage(used, requested);
    const exceeded = restricted.filter((n) => (newUsed.get(n)?.value ?? 0) > hard.get(n)!.value);
    if (exceeded.length > 0) {
      throw new QuotaExceededError(
        `exceeded quota: ${name}, requested: ${prettyPrintUsage(maskUsage(requested, exceeded))}, used: ${prettyPrintUsage(maskUsage(used, exceeded))}, limited: ${prettyPrintUsage(maskUsage(hard, exceeded))}`,
      );
    }
    charged.push({ ...quota, status: { ...status, used: usageToList(newUsed) } });
  }
  return charged;
}

/** A quota's status as the controller computes it: hard from spec, used summed over the matching objects. */
export function quotaStatus(
  quota: KubeObject,
  objectsOf: (r: QuotaResource) => readonly KubeObject[],
  now: Date,
): { hard: Record<string, string>; used: Record<string, string> } {
  const hard = usageOf(obj(quota.spec).hard);
  let used: Usage = new Map([...hard.keys()].map((k) => [k, { ...ZERO, format: hard.get(k)!.format }]));
  for (const r of quotaResourcesOf([...hard.keys()])) {
    for (const o of objectsOf(r)) {
      if (quotaMatches(quota, r, o)) used = addUsage(used, maskUsage(objectUsage(r, o, now), hard.keys()));
    }
  }
  return { hard: usageToList(hard), used: usageToList(used) };
}

/** The resources whose objects a quota with these hard names counts. */
export function quotaResourcesOf(names: readonly string[]): QuotaResource[] {
  const out = new Map<string, QuotaResource>();
  const add = (r: QuotaResource) => out.set(`${r.resource}.${r.group}`, r);
  for (const core of ['pods', 'services', 'persistentvolumeclaims']) {
    if (matchingResources({ group: '', resource: core }, names).length > 0) add({ group: '', resource: core });
  }
  for (const n of names) {
    if (LEGACY_COUNTS.has(n)) add({ group: '', resource: n });
    const counted = parseCountName(n);
    if (counted) add(counted);
  }
  return [...out.values()];
}
