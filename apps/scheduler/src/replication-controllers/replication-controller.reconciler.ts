import { Injectable } from '@nestjs/common';
import { LabelSelector } from '@skiff/api-machinery';
import { REPLICATION_CONTROLLERS } from '@skiff/controller-runtime';
import type { ReplicationController } from '@skiff/kube-types';
import { ReplicaSetReconciler, ReplicatedKind } from '../replica-sets/replica-set.reconciler';

/**
 * An RC's `spec.selector` is an equality map; as upstream's conversion of an RC to a ReplicaSet,
 * it becomes `matchLabels` (no selector stays none, which selects nothing).
 */
export function replicationControllerSelector(rc: ReplicationController): LabelSelector | undefined {
  const selector = rc.spec.selector;
  return selector ? { matchLabels: selector } : undefined;
}

export const REPLICATION_CONTROLLER_KIND: ReplicatedKind<ReplicationController> = {
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
