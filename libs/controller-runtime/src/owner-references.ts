import { KubeObject, OwnerReference } from '@skiff/api-machinery';
import { KindRef } from './resources';

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerRefOf(obj)?.uid === owner.metadata.uid;
}

/** The reference a controller puts on what it creates: controller, and blocking foreground deletion. */
export function newControllerRef(owner: KubeObject, resource: KindRef): OwnerReference {
  return {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A merge patch that makes `owner` the controller of `obj` (guarded by uid, so a recreated object is not adopted by mistake). */
export function adoptPatch(obj: KubeObject, owner: KubeObject, resource: KindRef): object {
  return {
    metadata: {
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      ownerReferences: [...(obj.metadata.ownerReferences ?? []), newControllerRef(owner, resource)],
    },
  };
}

/** A merge patch that drops `owner`'s reference from `obj`. */
export function releasePatch(obj: KubeObject, owner: KubeObject): object {
  return {
    metadata: {
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      ownerReferences: (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid),
    },
  };
}
