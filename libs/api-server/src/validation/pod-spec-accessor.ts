// Where the pod spec lives in each kind that runs pods, for admission and controllers.
import type { KubeObject } from '@skiff/api-machinery';
import type { ResourceType } from '../resources/resource-types';
import { objAt, type Obj } from './json-access';

export interface PodSpecLocation {
  /** Dotted path of the pod spec, e.g. `spec.template.spec`. */
  path: string;
  /** Dotted path of the pod template (absent for a bare Pod), e.g. `spec.template`. */
  templatePath?: string;
  /** The live pod spec object inside `obj` (mutations show up in `obj`). */
  spec: Record<string, unknown>;
}

const TEMPLATE_PATHS: Record<string, string[]> = {
  'apps/Deployment': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
  '/ReplicationController': ['spec', 'template'],
  '/PodTemplate': ['template'],
};

function walk(root: Obj, segments: string[]): Obj | undefined {
  let cur: Obj | undefined = root;
  for (const s of segments) {
    cur = objAt(cur?.[s]);
    if (!cur) return undefined;
  }
  return cur;
}

/** Path of the pod template for kinds that carry one (`spec.template`, `spec.jobTemplate.spec.template`). */
export function podTemplatePathOf(type: Pick<ResourceType, 'group' | 'kind'>): string | undefined {
  return TEMPLATE_PATHS[`${type.group}/${type.kind}`]?.join('.');
}

/** The pod spec of a Pod or of a workload's template; undefined when the kind has none or it is missing. */
export function podSpecOf(type: Pick<ResourceType, 'group' | 'kind'>, obj: KubeObject): PodSpecLocation | undefined {
  const root = obj as Obj;
  if (type.group === '' && type.kind === 'Pod') {
    const spec = objAt(root.spec);
    return spec ? { path: 'spec', spec } : undefined;
  }
  const tpl = TEMPLATE_PATHS[`${type.group}/${type.kind}`];
  if (!tpl) return undefined;
  const spec = walk(root, [...tpl, 'spec']);
  return spec ? { path: [...tpl, 'spec'].join('.'), templatePath: tpl.join('.'), spec } : undefined;
}
