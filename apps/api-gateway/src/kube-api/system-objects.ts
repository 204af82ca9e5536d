// Objects the API server itself keeps: they exist from the first start, and the ones that
// hold everything else may not be deleted (as kube-apiserver's NamespaceLifecycle admission
// and the scheduling REST storage refuse).
import { ApiError, KubeObject } from '@skiff/api-machinery';
import { ResourceContext } from './resource-context';

/** Created at start and recreated when missing, as upstream's system namespaces controller does. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Namespaces that may never be deleted (kube-node-lease may; it is recreated). */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** scheduling.k8s.io/v1 SystemPriorityClasses(). */
export const SYSTEM_PRIORITY_CLASSES: readonly KubeObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** Refuses the deletion of an object the cluster cannot live without (one check for delete and deletecollection). */
export function checkDeletable(ctx: ResourceContext, name: string): void {
  const { group, resource } = ctx.type;
  if (group === '' && resource === 'namespaces' && IMMORTAL_NAMESPACES.has(name)) {
    throw ApiError.forbidden({ group, resource, name }, 'this namespace may not be deleted');
  }
  if (
    group === 'scheduling.k8s.io' &&
    resource === 'priorityclasses' &&
    SYSTEM_PRIORITY_CLASSES.some((pc) => pc.metadata.name === name)
  ) {
    throw ApiError.forbidden({ group, resource, name }, 'this is a system priority class and cannot be deleted');
  }
}
