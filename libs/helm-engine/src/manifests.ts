import type { HookDeletePolicy, HookEvent, ReleaseHook } from './release';
import { ChartRenderError, HelmRenderer } from './renderer';

/** One YAML document of a rendered template, with what Helm reads of its head. */
export interface Manifest {
  /** The template it came from ("web/templates/deployment.yaml"). */
  name: string;
  content: string;
  head: { apiVersion?: string; kind?: string; metadata?: { name?: string; annotations?: Record<string, string> } };
}

/** Helm's install order by kind; kinds not listed go last, by name. */
export const INSTALL_ORDER = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

const HOOK_EVENTS: Record<string, HookEvent> = {
  'pre-install': 'pre-install',
  'post-install': 'post-install',
  'pre-delete': 'pre-delete',
  'post-delete': 'post-delete',
  'pre-upgrade': 'pre-upgrade',
  'post-upgrade': 'post-upgrade',
  'pre-rollback': 'pre-rollback',
  'post-rollback': 'post-rollback',
  test: 'test',
  'test-success': 'test',
};

/** A stream of YAML documents split as Helm splits it (empty documents dropped, each trimmed). */
export function splitManifests(text: string): string[] {
  return text
    .trim()
    .split(/(?:^|\s*\n)---\s*/)
    .filter((d) => d !== '')
    .map((d) => d.trim());
}

/**
 * Rendered templates into hooks (documents with a `helm.sh/hook` annotation of known events) and the rest, each in
 * Helm's install order by kind (stable: files by name, documents in file order). Partials, NOTES.txt and empty files
 * are left out.
 */
export async function sortManifests(
  rendered: Record<string, string>,
): Promise<{ hooks: ReleaseHook[]; manifests: Manifest[] }> {
  const renderer = await HelmRenderer.load();
  const hooks: ReleaseHook[] = [];
  const manifests: Manifest[] = [];
  for (const name of Object.keys(rendered).sort()) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (base.startsWith('_') || base === 'NOTES.txt' || rendered[name].trim() === '') continue;
    for (const content of splitManifests(rendered[name])) {
      let head: Manifest['head'];
      try {
        head = (renderer.yamlToJson(content) ?? {}) as Manifest['head'];
      } catch (err) {
        throw new ChartRenderError(
          `YAML parse error on ${name}: error converting YAML to JSON: ${(err as Error).message}`,
        );
      }
      const annotations = head.metadata?.annotations ?? {};
      const hookTypes = annotations['helm.sh/hook'];
      if (hookTypes === undefined) {
        manifests.push({ name, content, head });
        continue;
      }
      const events = hookTypes.split(',').map((t) => HOOK_EVENTS[t.trim().toLowerCase()]);
      // As Helm: a hook of an unknown event is skipped altogether.
      if (events.some((e) => e === undefined)) continue;
      const weight = annotations['helm.sh/hook-weight'] ?? '';
      hooks.push({
        name: head.metadata?.name ?? '',
        kind: head.kind ?? '',
        path: name,
        manifest: content,
        events,
        last_run: { started_at: '', completed_at: '', phase: '' },
        // strconv.Atoi's reading: anything else is 0.
        weight: /^[+-]?\d+$/.test(weight) ? Number.parseInt(weight, 10) : 0,
        delete_policies: (annotations['helm.sh/hook-delete-policy'] ?? '')
          .split(',')
          .map((p) => p.trim().toLowerCase())
          .filter((p) => p !== '') as HookDeletePolicy[],
      });
    }
  }
  const byKind =
    <T>(kind: (x: T) => string) =>
    (a: T, b: T) =>
      kindOrder(kind(a), kind(b));
  return {
    hooks: hooks.sort(byKind((h) => h.kind)),
    manifests: manifests.sort(byKind((m) => m.head.kind ?? '')),
  };
}

/** Helm's order of two kinds: listed ones by the list, then unknown ones by name (0 keeps the input order). */
function kindOrder(a: string, b: string): number {
  const ia = INSTALL_ORDER.indexOf(a);
  const ib = INSTALL_ORDER.indexOf(b);
  if (ia < 0 && ib < 0) return a === b ? 0 : a < b ? -1 : 1;
  if (ia < 0) return 1;
  if (ib < 0) return -1;
  return ia - ib;
}

/** A release's manifest: each document with the template it came from. */
export function releaseManifest(manifests: Manifest[]): string {
  return manifests.map((m) => `---\n# Source: ${m.name}\n${m.content}\n`).join('');
}
