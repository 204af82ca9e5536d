// Namespace, Node, Lease, RuntimeClass and Events (core/v1 and events.k8s.io/v1).
import { isIP } from 'node:net';
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, immutable, index, invalid, notSupported, required } from './field-errors';
import { arrAt, numAt, objAt, strAt, type Obj } from './json-access';
import { nameIsDnsLabel, qualifiedNameErrors, QUANTITY_FORMAT_ERROR, tryParseQuantity } from '@skiff/api-machinery';
import { validateFinalizerName, validateLabels, validateObjectMetaUpdate } from './object-meta.validation';

export function validateNamespace(obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  for (const f of arrAt(objAt(obj.spec)?.finalizers))
    out.push(...validateFinalizerName(strAt(f) ?? '', 'spec.finalizers'));
  return out;
}

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

function isCidr(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/');
  if (rest.length || bits === undefined || !/^[0-9]+$/.test(bits)) return false;
  const v = isIP(ip);
  return v !== 0 && Number(bits) <= (v === 4 ? 32 : 128);
}

export function validateNode(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(spec.taints).entries()) {
    const t = objAt(raw) ?? {};
    const p = index('spec.taints', i);
    const k = strAt(t.key) ?? '';
    if (!k) out.push(required(child(p, 'key'), ''));
    else for (const m of qualifiedNameErrors(k)) out.push(invalid(child(p, 'key'), k, m));
    const effect = t.effect;
    if (effect === undefined || effect === '') out.push(required(child(p, 'effect'), ''));
    else if (typeof effect !== 'string' || !TAINT_EFFECTS.includes(effect))
      out.push(notSupported(child(p, 'effect'), effect, TAINT_EFFECTS));
  }
  const cidrs = [strAt(spec.podCIDR), ...arrAt(spec.podCIDRs).map(strAt)].filter((c): c is string => !!c);
  for (const c of cidrs)
    if (!isCidr(c))
      out.push(invalid('spec.podCIDRs', c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  return out;
}

export function validateLease(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  const dur = numAt(spec.leaseDurationSeconds);
  if (dur !== undefined && dur <= 0) out.push(invalid('spec.leaseDurationSeconds', dur, 'must be greater than 0'));
  const tr = numAt(spec.leaseTransitions);
  if (tr !== undefined && tr < 0) out.push(invalid('spec.leaseTransitions', tr, 'must be greater than or equal to 0'));
  const strategy = spec.strategy;
  if (strategy !== undefined && strategy !== 'OldestEmulationVersion')
    out.push(notSupported('spec.strategy', strategy, ['OldestEmulationVersion']));
  return out;
}

export function validateRuntimeClass(obj: KubeObject): StatusCause[] {
  const o = obj as Obj;
  const handler = strAt(o.handler) ?? '';
  const out = nameIsDnsLabel(handler, false).map((m) => invalid('handler', handler, m));
  const podFixed = objAt(objAt(o.overhead)?.podFixed) ?? {};
  for (const [k, v] of Object.entries(podFixed)) {
    const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
    if (!q) out.push(invalid(`overhead.podFixed[${k}]`, v, QUANTITY_FORMAT_ERROR));
  }
  out.push(...validateLabels(objAt(o.scheduling)?.nodeSelector, 'scheduling.nodeSelector'));
  return out;
}

export function validateRuntimeClassUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateRuntimeClass(obj)];
  const h = (obj as Obj).handler;
  if (h !== (old as Obj).handler) out.push(immutable('handler', h ?? ''));
  return out;
}

const EVENT_TYPES = ['Normal', 'Warning'];

function validateRegarding(ref: Obj, path: string, eventNamespace: string | undefined): StatusCause[] {
  const ns = strAt(ref.namespace);
  if (ns && eventNamespace && ns !== eventNamespace)
    return [invalid(child(path, 'namespace'), ns, 'does not match event.namespace')];
  return [];
}

/** core/v1 Event: lenient, as upstream is for the legacy API. */
export function validateCoreEvent(obj: KubeObject): StatusCause[] {
  const o = obj as Obj;
  const out = validateRegarding(objAt(o.involvedObject) ?? {}, 'involvedObject', obj.metadata?.namespace);
  const type = strAt(o.type);
  if (type && !EVENT_TYPES.includes(type)) out.push(invalid('type', '', `has invalid value: ${type}`));
  return out;
}

/** events.k8s.io/v1 Event: the fields a reporter must fill. */
export function validateEventsV1Event(obj: KubeObject): StatusCause[] {
  const o = obj as Obj;
  const out = validateRegarding(objAt(o.regarding) ?? {}, 'regarding', obj.metadata?.namespace);
  if (!strAt(o.eventTime)) out.push(required('eventTime', ''));
  const type = strAt(o.type);
  if (!type) out.push(required('type', ''));
  else if (!EVENT_TYPES.includes(type)) out.push(invalid('type', '', `has invalid value: ${type}`));
  const rc = strAt(o.reportingController) ?? '';
  if (!rc) out.push(required('reportingController', ''));
  else for (const m of qualifiedNameErrors(rc)) out.push(invalid('reportingController', rc, m));
  for (const [f, limit] of [
    ['reportingInstance', 128],
    ['action', 128],
    ['reason', 128],
  ] as const) {
    const v = strAt(o[f]) ?? '';
    if (!v) out.push(required(f, ''));
    else if (v.length > limit) out.push(invalid(f, '', `can have at most ${limit} characters`));
  }
  const note = strAt(o.note) ?? '';
  if (note.length > 1024) out.push(invalid('note', '', 'can have at most 1024 characters'));
  return out;
}
