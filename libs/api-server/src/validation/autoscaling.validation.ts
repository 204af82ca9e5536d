// autoscaling/v2 HorizontalPodAutoscaler (pkg/apis/autoscaling/validation).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, forbidden, index, invalid, notSupported, required } from './field-errors';
import { arrAt, numAt, objAt, strAt, type Obj } from './json-access';
import { nameIsPathSegment, QUANTITY_FORMAT_ERROR, tryParseQuantity } from '@skiff/api-machinery';

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const TARGET_TYPES = ['AverageValue', 'Utilization', 'Value'];
const SOURCE_FIELD: Record<string, string> = {
  ContainerResource: 'containerResource',
  External: 'external',
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
};

function validateQuantity(v: unknown, path: string): StatusCause[] {
  const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
  if (!q) return [invalid(path, v ?? null, QUANTITY_FORMAT_ERROR)];
  return q.value > 0 ? [] : [invalid(path, v, 'must be positive')];
}

function validateTarget(raw: unknown, path: string, allowUtilization: boolean): StatusCause[] {
  const t = objAt(raw);
  if (!t) return [required(path, '')];
  const out: StatusCause[] = [];
  const type = strAt(t.type);
  if (!type) return [required(child(path, 'type'), 'must specify a metric target type')];
  if (!TARGET_TYPES.includes(type)) return [notSupported(child(path, 'type'), type, TARGET_TYPES)];
  if (type === 'Utilization') {
    if (!allowUtilization) out.push(notSupported(child(path, 'type'), type, ['AverageValue', 'Value']));
    const u = numAt(t.averageUtilization);
    if (u === undefined)
      out.push(
        required(child(path, 'averageUtilization'), 'must set either a target raw value or a target utilization'),
      );
    else if (u <= 0) out.push(invalid(child(path, 'averageUtilization'), u, 'must be greater than 0'));
  }
  if (type === 'AverageValue') {
    if (t.averageValue === undefined)
      out.push(required(child(path, 'averageValue'), 'must set either a target raw value or a target utilization'));
    else out.push(...validateQuantity(t.averageValue, child(path, 'averageValue')));
  }
  if (type === 'Value') {
    if (t.value === undefined)
      out.push(required(child(path, 'value'), 'must set either a target value for metric or a per-pod target'));
    else out.push(...validateQuantity(t.value, child(path, 'value')));
  }
  return out;
}

function validateMetric(raw: unknown, path: string): StatusCause[] {
  const m = objAt(raw) ?? {};
  const type = strAt(m.type);
  if (!type) return [required(child(path, 'type'), 'must specify a metric source type')];
  if (!METRIC_TYPES.includes(type)) return [notSupported(child(path, 'type'), type, METRIC_TYPES)];
  const out: StatusCause[] = [];
  for (const [t, f] of Object.entries(SOURCE_FIELD))
    if (t !== type && m[f] != null) out.push(forbidden(child(path, f), 'must populate the given metric source only'));
  const field = SOURCE_FIELD[type];
  const src = objAt(m[field]);
  const sp = child(path, field);
  if (!src) return [...out, required(sp, 'must populate information for the given metric source')];
  if (type === 'Resource' || type === 'ContainerResource') {
    if (!strAt(src.name)) out.push(required(child(sp, 'name'), 'must specify a resource name'));
    if (type === 'ContainerResource' && !strAt(src.container))
      out.push(required(child(sp, 'container'), 'must specify a container'));
    out.push(...validateTarget(src.target, child(sp, 'target'), true));
  } else {
    if (!strAt(objAt(src.metric)?.name)) out.push(required(child(sp, 'metric.name'), 'must specify a metric name'));
    if (type === 'Object') {
      const ref = objAt(src.describedObject) ?? {};
      if (!strAt(ref.kind)) out.push(required(child(sp, 'describedObject.kind'), ''));
      if (!strAt(ref.name)) out.push(required(child(sp, 'describedObject.name'), ''));
    }
    out.push(...validateTarget(src.target, child(sp, 'target'), false));
  }
  return out;
}

function validateScalingRules(raw: unknown, path: string): StatusCause[] {
  const r = objAt(raw);
  if (!r) return [];
  const out: StatusCause[] = [];
  const sw = numAt(r.stabilizationWindowSeconds);
  if (sw !== undefined && (sw < 0 || sw > 3600))
    out.push(
      invalid(
        child(path, 'stabilizationWindowSeconds'),
        sw,
        sw < 0 ? 'must be greater than or equal to zero' : 'must be less than or equal to 3600',
      ),
    );
  const sp = r.selectPolicy;
  if (sp !== undefined && !['Disabled', 'Max', 'Min'].includes(String(sp)))
    out.push(notSupported(child(path, 'selectPolicy'), sp, ['Disabled', 'Max', 'Min']));
  for (const [i, raw2] of arrAt(r.policies).entries()) {
    const p = objAt(raw2) ?? {};
    const pp = index(child(path, 'policies'), i);
    if (p.type !== 'Pods' && p.type !== 'Percent')
      out.push(notSupported(child(pp, 'type'), p.type ?? '', ['Percent', 'Pods']));
    const v = numAt(p.value);
    if (v === undefined || v <= 0) out.push(invalid(child(pp, 'value'), p.value ?? 0, 'must be greater than zero'));
    const per = numAt(p.periodSeconds);
    if (per === undefined || per <= 0)
      out.push(invalid(child(pp, 'periodSeconds'), p.periodSeconds ?? 0, 'must be greater than zero'));
    else if (per > 1800) out.push(invalid(child(pp, 'periodSeconds'), per, 'must be less than or equal to 1800'));
  }
  return out;
}

export function validateHpa(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  const ref: Obj = objAt(spec.scaleTargetRef) ?? {};
  const kind = strAt(ref.kind) ?? '';
  const name = strAt(ref.name) ?? '';
  if (!kind) out.push(required('spec.scaleTargetRef.kind', ''));
  else for (const m of nameIsPathSegment(kind, false)) out.push(invalid('spec.scaleTargetRef.kind', kind, m));
  if (!name) out.push(required('spec.scaleTargetRef.name', ''));
  else for (const m of nameIsPathSegment(name, false)) out.push(invalid('spec.scaleTargetRef.name', name, m));
  const min = numAt(spec.minReplicas);
  const max = numAt(spec.maxReplicas) ?? 0;
  if (min !== undefined && min < 1) out.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) out.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min)
    out.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  for (const [i, m] of arrAt(spec.metrics).entries()) out.push(...validateMetric(m, index('spec.metrics', i)));
  const behavior = objAt(spec.behavior);
  out.push(
    ...validateScalingRules(behavior?.scaleUp, 'spec.behavior.scaleUp'),
    ...validateScalingRules(behavior?.scaleDown, 'spec.behavior.scaleDown'),
  );
  return out;
}
