// scheduling.k8s.io/v1 PriorityClass (pkg/apis/scheduling/validation and v1/defaults.go).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { forbidden, immutable, notSupported, required } from './field-errors';
import { numAt, setIfUnset, type Obj } from './json-access';
import { validateObjectMetaUpdate } from './object-meta.validation';

/** scheduling.HighestUserDefinablePriority: classes above it are the system's own. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
// SystemPriorityClasses(): the only names the reserved prefix admits, with their exact values.
const KNOWN_SYSTEM_CLASSES: Record<string, { value: number; globalDefault: boolean }> = {
  'system-node-critical': { value: 2000001000, globalDefault: false },
  'system-cluster-critical': { value: 2000000000, globalDefault: false },
};
// ValidatePreemptionPolicy lists them in this order (not sorted).
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

/** IsKnownSystemPriorityClass: the reason a `system-` class is refused, or undefined. */
function systemClassError(name: string, value: number, globalDefault: boolean): string | undefined {
  const known = KNOWN_SYSTEM_CLASSES[name];
  if (!known) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${known.value}`;
  if (known.globalDefault !== globalDefault)
    return `globalDefault of ${name} PriorityClass must be ${known.globalDefault}`;
  return undefined;
}

/** `ValidatePreemptionPolicy` (shared with pods' spec.preemptionPolicy upstream). */
export function validatePreemptionPolicy(v: unknown, path: string): StatusCause[] {
  if (v === '') return [required(path, '')];
  return typeof v === 'string' && PREEMPTION_POLICIES.includes(v) ? [] : [notSupported(path, v, PREEMPTION_POLICIES)];
}

export function validatePriorityClass(obj: KubeObject): StatusCause[] {
  const pc = obj as Obj;
  const name = obj.metadata?.name ?? '';
  const value = numAt(pc.value) ?? 0;
  const out: StatusCause[] = [];
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const err = systemClassError(name, value, pc.globalDefault === true);
    if (err)
      out.push(
        forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${err}`,
        ),
      );
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    out.push(
      forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`),
    );
  }
  if (pc.preemptionPolicy !== undefined && pc.preemptionPolicy !== null)
    out.push(...validatePreemptionPolicy(pc.preemptionPolicy, 'preemptionPolicy'));
  return out;
}

/** Only metadata may change: value and preemptionPolicy are fixed at creation. */
export function validatePriorityClassUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const pc = obj as Obj;
  const prev = old as Obj;
  const out = validateObjectMetaUpdate(obj.metadata, old.metadata);
  if ((numAt(pc.value) ?? 0) !== (numAt(prev.value) ?? 0))
    out.push(forbidden('value', 'may not be changed in an update.'));
  if ((pc.preemptionPolicy ?? null) !== (prev.preemptionPolicy ?? null))
    out.push(immutable('preemptionPolicy', pc.preemptionPolicy ?? null));
  return out;
}

export function defaultPriorityClass(pc: Obj): void {
  setIfUnset(pc, 'preemptionPolicy', 'PreemptLowerPriority');
  // `value` is an int32 without omitempty: Go always serializes it, 0 when absent.
  setIfUnset(pc, 'value', 0);
}
