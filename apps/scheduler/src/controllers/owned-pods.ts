import { KubeObject } from '@skiff/api-machinery';
import {
  ControllerContext,
  ControllerExpectations,
  controllerRefOf,
  Informer,
  objectKey,
  splitKey,
} from '@skiff/controller-runtime';
import type { Pod } from '@skiff/kube-types';
import { isPodReady } from './pod-conditions';

/** What a controller of replicated pods (ReplicaSet, StatefulSet) tells the shared event wiring. */
export interface OwnedPods<O extends KubeObject> {
  owners: Informer<O>;
  ownerKind: string;
  expectations: ControllerExpectations;
  minReadySeconds(owner: O): number;
  /** Whether an orphan pod is one this owner would adopt (its selector, and for StatefulSets its name). */
  selects(owner: O, pod: Pod): boolean;
}

/** The key of the cached owner that controls `obj`, if it is of `ownerKind` and still the same object. */
export function ownerKeyOf<O extends KubeObject>(
  obj: KubeObject,
  owners: Informer<O>,
  ownerKind: string,
): string | undefined {
  const ref = controllerRefOf(obj);
  if (ref?.kind !== ownerKind) return undefined;
  const owner = owners.get(obj.metadata.namespace, ref.name);
  return owner && owner.metadata.uid === ref.uid ? objectKey(owner) : undefined;
}

/**
 * Upstream's add/update/deletePod handlers of the replica controllers: owner events enqueue the
 * owner; pod events settle expectations and enqueue the controlling owner (the old one too when it
 * changed), or for an orphan every owner that would adopt it; a pod that just became ready is looked
 * at again once it has been ready for minReadySeconds.
 */
export function watchOwnedPods<O extends KubeObject>(
  ctx: ControllerContext,
  pods: Informer<Pod>,
  w: OwnedPods<O>,
): void {
  const ownerOf = (pod: Pod): string | undefined => ownerKeyOf(pod, w.owners, w.ownerKind);
  const enqueueFor = (pod: Pod): void => {
    const owner = ownerOf(pod);
    if (owner) return ctx.enqueue(owner);
    if (controllerRefOf(pod) || pod.metadata.deletionTimestamp) return;
    for (const o of w.owners.list())
      if (o.metadata.namespace === pod.metadata.namespace && w.selects(o, pod)) ctx.enqueue(objectKey(o));
  };
  w.owners.on('add', (o) => ctx.enqueue(objectKey(o)));
  w.owners.on('update', (o) => ctx.enqueue(objectKey(o)));
  w.owners.on('delete', (o) => {
    w.expectations.forget(objectKey(o));
    ctx.enqueue(objectKey(o));
  });
  pods.on('add', (pod) => {
    const owner = ownerOf(pod);
    if (owner && pod.metadata.deletionTimestamp) w.expectations.deletionObserved(owner, pod.metadata.uid!);
    else if (owner) w.expectations.creationObserved(owner);
    enqueueFor(pod);
  });
  pods.on('update', (pod, old) => {
    const owner = ownerOf(pod);
    if (owner && pod.metadata.deletionTimestamp) w.expectations.deletionObserved(owner, pod.metadata.uid!);
    if (old && old !== pod) {
      const oldOwner = ownerOf(old);
      if (oldOwner && oldOwner !== owner) ctx.enqueue(oldOwner);
      const ownerObj = owner ? w.owners.get(pod.metadata.namespace, splitKey(owner).name) : undefined;
      const minReady = ownerObj ? w.minReadySeconds(ownerObj) : 0;
      if (owner && minReady > 0 && isPodReady(pod) && !isPodReady(old)) ctx.enqueueAfter(owner, minReady * 1000 + 100);
    }
    enqueueFor(pod);
  });
  pods.on('delete', (pod) => {
    const owner = ownerOf(pod);
    if (!owner) return;
    w.expectations.deletionObserved(owner, pod.metadata.uid!);
    ctx.enqueue(owner);
  });
}
