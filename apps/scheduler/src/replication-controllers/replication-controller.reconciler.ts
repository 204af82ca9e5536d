import { Injectable } from '@nestjs/common';
import { isJsonObject, KubeObject, LabelSelector } from '@skiff/api-machinery';
import { REPLICATION_CONTROLLERS } from '@skiff/controller-runtime';
import { ReplicaSetReconciler, ReplicatedKind } from '../replica-sets/replica-set.reconciler';

/**
 * An RC's `spec.selector` is an equality map; as upstream's conversion of an RC to a ReplicaSet,
 * it becomes `matchLabels` (no selector stays none, which selects nothing).
 */
export function replicationControllerSelector(rc: KubeObject): LabelSelector | undefined {
  const selector = isJsonObject(rc.spec) ? rc.spec.selector : undefined;
  return isJsonObject(selector) ? { matchLabels: selector as Record<string, string> } : undefined;
}

export const REPLICATION_CONTROLLER_KIND: ReplicatedKind = {
  resource: REPLICATION_CONTROLLERS,
  selectorOf: replicationControllerSelector,
};

/**
 * The replication manager (pkg/controller/replication): a ReplicationController is a ReplicaSet
 * with an equality selector, so it runs the ReplicaSet controller's code — claims, adoption,
 * expectations, slow-start creates, deletion ranking, events and status — on v1 RCs.
 */
@Injectable()
export class ReplicationControllerReconciler extends ReplicaSetReconciler {
  override readonly name: string = 'replicationcontroller-controller';
  protected override readonly kind: ReplicatedKind = REPLICATION_CONTROLLER_KIND;
}
