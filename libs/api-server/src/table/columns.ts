// Column definitions shared by the printers; descriptions are the upstream swagger docs kubectl
// shows with `kubectl explain`-style tooling (shortened where upstream's run to paragraphs).
import { KubeObject, LabelSelector } from '@skiff/api-machinery';
import { timestampSince } from './human-duration';
import { TableColumnDefinition, TableColumnType } from './table.types';
import { at, list, record, str } from './unstructured';

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export function column(
  name: string,
  type: TableColumnType,
  description: string,
  priority = 0,
  format = '',
): TableColumnDefinition {
  return { name, type, format, description, priority };
}

export const NAME_COLUMN = column('Name', 'string', NAME_DESCRIPTION, 0, 'name');
export const AGE_COLUMN = column('Age', 'string', AGE_DESCRIPTION);

export const CONTAINERS_COLUMN = column('Containers', 'string', 'Names of each container in the template.', 1);
export const IMAGES_COLUMN = column('Images', 'string', 'Images referenced by each container in the template.', 1);

export function wideSelectorColumn(
  description = 'A label query over pods that should match the replica count. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
): TableColumnDefinition {
  return column('Selector', 'string', description, 1);
}

export function nameOf(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

export function ageOf(obj: KubeObject, now: Date): string {
  return timestampSince(obj.metadata?.creationTimestamp, now);
}

/** layoutContainerCells: container names and images, comma-joined, in template order. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = list(podSpec, 'containers');
  return [containers.map((c) => str(c, 'name')).join(','), containers.map((c) => str(c, 'image')).join(',')];
}

/** Names and images of the pod template at `templatePath` (e.g. spec.template). */
export function templateContainers(obj: KubeObject, ...templatePath: string[]): [string, string] {
  return containerCells(at(obj, ...templatePath, 'spec'));
}

/** A metav1.LabelSelector read from the object; its shape is checked when it is parsed. */
export function selectorOf(obj: KubeObject, ...path: string[]): LabelSelector | undefined {
  return record(obj, ...path) as LabelSelector | undefined;
}
