// core/v1 PodTemplate (ValidatePodTemplate, ValidatePodTemplateUpdate): the template is checked
// as every workload's pod template is.
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { forbidden, required } from './field-errors';
import { arrAt, objAt, type Obj } from './json-access';
import { validateObjectMetaUpdate } from './object-meta.validation';
import { validatePodTemplateSpec } from './pod.validation';

export function validatePodTemplate(obj: KubeObject): StatusCause[] {
  const tpl = objAt((obj as Obj).template);
  // Go decodes an absent template as the zero PodTemplateSpec, whose only fault is no containers.
  if (!tpl) return [required('template.spec.containers', '')];
  const out = validatePodTemplateSpec(tpl, 'template');
  if (arrAt(objAt(tpl.spec)?.ephemeralContainers).length > 0) {
    out.push(forbidden('template.spec.ephemeralContainers', 'ephemeral containers not allowed in pod template'));
  }
  return out;
}

export function validatePodTemplateUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validatePodTemplate(obj)];
}
