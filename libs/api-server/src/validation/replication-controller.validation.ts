// v1 ReplicationController (pkg/apis/core/validation ValidateReplicationControllerSpec).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { goStringMap, invalid, nonNegative, required } from './field-errors';
import { numAt, objAt } from './json-access';
import { stringMapOf } from './label-selector.validation';
import { validateLongRunningTemplate } from './workloads.validation';

/** An RC selects by equality on a label map; upstream requires it non-empty and matching the template. */
export function validateReplicationController(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const selector = stringMapOf(spec.selector) ?? {};
  const out: StatusCause[] = [...nonNegative('spec.minReadySeconds', numAt(spec.minReadySeconds))];
  if (Object.keys(selector).length === 0) out.push(required('spec.selector', ''));
  out.push(...nonNegative('spec.replicas', numAt(spec.replicas)));
  const template = objAt(spec.template);
  if (template && Object.keys(selector).length > 0) {
    const labels = stringMapOf(objAt(template.metadata)?.labels);
    if (!Object.entries(selector).every(([k, v]) => labels?.[k] === v)) {
      out.push(
        invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'),
      );
    }
  }
  out.push(...validateLongRunningTemplate(spec, 'ReplicationController'));
  return out;
}
