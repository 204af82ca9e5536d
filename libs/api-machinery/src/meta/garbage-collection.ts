/** A kind the garbage collector follows, with where it is served. */
export interface CollectedKind {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

const kind = (group: string, version: string, resource: string, k: string, namespaced = true): CollectedKind => ({
  group,
  version,
  resource,
  kind: k,
  namespaced,
});

/**
 * The kinds the garbage collector watches as owners and dependents. The API server gives the
 * `foregroundDeletion` and `orphan` finalizers only to these, since only for these is there a
 * collector to remove them.
 */
export const GARBAGE_COLLECTED_KINDS: readonly CollectedKind[] = [
  kind('', 'v1', 'pods', 'Pod'),
  kind('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  kind('', 'v1', 'configmaps', 'ConfigMap'),
  kind('', 'v1', 'secrets', 'Secret'),
  kind('', 'v1', 'services', 'Service'),
  kind('', 'v1', 'replicationcontrollers', 'ReplicationController'),
  kind('apps', 'v1', 'replicasets', 'ReplicaSet'),
  kind('apps', 'v1', 'deployments', 'Deployment'),
  kind('apps', 'v1', 'statefulsets', 'StatefulSet'),
  kind('apps', 'v1', 'daemonsets', 'DaemonSet'),
  kind('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  kind('batch', 'v1', 'jobs', 'Job'),
  kind('batch', 'v1', 'cronjobs', 'CronJob'),
];

export function isGarbageCollected(group: string, k: string | undefined): boolean {
  return GARBAGE_COLLECTED_KINDS.some((c) => c.group === group && c.kind === k);
}
