// policy/v1 PodDisruptionBudget (pkg/apis/policy/validation).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { GoValue, invalid, notSupported } from './field-errors';
import { objAt, type Obj } from './json-access';
import { validateLabelSelector } from './label-selector.validation';
import { validateIntOrPercent } from './workloads.validation';

// sets.NewString(...).List(): sorted.
const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

// Go's %#v of the internal spec, which has pointers only: their addresses mean nothing to a reader.
function goPdbSpec(spec: Obj): GoValue {
  const ptr = (type: string, v: unknown, i: number): string =>
    `(*${type})(${v === undefined || v === null ? 'nil' : `0xc00000${i}000`})`;
  return new GoValue(
    `policy.PodDisruptionBudgetSpec{MinAvailable:${ptr('intstr.IntOrString', spec.minAvailable, 1)}, Selector:${ptr('v1.LabelSelector', spec.selector, 2)}, ` +
      `MaxUnavailable:${ptr('intstr.IntOrString', spec.maxUnavailable, 3)}, UnhealthyPodEvictionPolicy:${ptr('policy.UnhealthyPodEvictionPolicyType', spec.unhealthyPodEvictionPolicy, 4)}}`,
  );
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** ValidatePodDisruptionBudgetSpec: the same rules on create and update (policy/v1 specs are mutable). */
export function validatePodDisruptionBudget(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable))
    out.push(invalid('spec', goPdbSpec(spec), 'minAvailable and maxUnavailable cannot be both set'));
  out.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable', true));
  out.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable', true));
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (isSet(policy) && !UNHEALTHY_POD_EVICTION_POLICIES.includes(String(policy))) {
    out.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return out;
}
