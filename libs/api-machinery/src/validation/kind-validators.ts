// The table of per-kind rules validateObject dispatches on, keyed by `group/Kind`.
import type { KubeObject } from '../meta/object';
import type { StatusCause } from '../meta/status';
import { nameIsDnsLabel, nameIsDnsSubdomain, type NameValidator } from './name-rules';
import { validatePodSpec, validatePodUpdate } from './pod.validation';

export interface KindValidator {
  /** Rule for metadata.name / generateName. */
  name: NameValidator;
  /** Spec rules on create (metadata already checked). */
  create: (obj: KubeObject) => StatusCause[];
  /** Full update rules including metadata; default: metadata update rules + create rules. */
  update?: (obj: KubeObject, old: KubeObject) => StatusCause[];
}

const none = (): StatusCause[] => [];

export const KIND_VALIDATORS: Record<string, KindValidator> = {
  '/Pod': { name: nameIsDnsSubdomain, create: (o) => validatePodSpec(o.spec, 'spec'), update: validatePodUpdate },
  '/Namespace': { name: nameIsDnsLabel, create: none },
};
