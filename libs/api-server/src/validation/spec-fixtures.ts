// Shared objects for the validation specs.
import type { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES, type ResourceType } from '../resources/resource-types';

export function resourceType(group: string, kind: string): ResourceType {
  const t = BUILT_IN_RESOURCES.find((r) => r.group === group && r.kind === kind);
  if (!t) throw new Error(`no built-in ${group}/${kind}`);
  return t;
}

export function podObject(spec: Record<string, unknown> = {}, name = 'web'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
  };
}

export function templateOf(
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = { app: 'web' },
): Record<string, unknown> {
  return { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec } };
}
