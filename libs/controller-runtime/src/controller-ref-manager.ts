import { KubeObject, LabelMatcher, matchesLabels } from '@skiff/api-machinery';
import { isConflict, isNotFound, KubeClient, ResourceRef } from '@skiff/kube-client';
import { adoptPatch, controllerRefOf, isControlledBy, releasePatch } from './owner-references';
import { KindRef } from './resources';

export interface ClaimRequest {
  owner: KubeObject;
  ownerResource: KindRef;
  selector: LabelMatcher;
  /** Objects of the dependent kind in the owner's namespace (from the cache). */
  candidates: readonly KubeObject[];
  dependents: ResourceRef;
}

/**
 * client-go's ControllerRefManager: the owner keeps what it controls and still selects,
 * releases what it controls but no longer selects, and adopts orphans it selects — adoption
 * only after a fresh read shows the owner is the same object and not being deleted.
 */
export async function claimObjects(client: KubeClient, req: ClaimRequest): Promise<KubeObject[]> {
  const { owner, selector } = req;
  const dependents = client.resource(req.dependents);
  const owned: KubeObject[] = [];
  let mayAdopt: Promise<boolean> | undefined;
  for (const obj of req.candidates) {
    const ref = controllerRefOf(obj);
    const selected = matchesLabels(selector, obj.metadata.labels);
    if (ref) {
      if (!isControlledBy(obj, owner)) continue;
      if (selected) owned.push(obj);
      else if (!owner.metadata.deletionTimestamp)
        await ignoreGone(
          dependents.patch(obj.metadata.namespace, obj.metadata.name!, releasePatch(obj, owner), 'merge'),
        );
      continue;
    }
    if (!selected || obj.metadata.deletionTimestamp || owner.metadata.deletionTimestamp) continue;
    mayAdopt ??= ownerStillCurrent(client, req);
    if (!(await mayAdopt)) continue;
    const adopted = await ignoreGone(
      dependents.patch(obj.metadata.namespace, obj.metadata.name!, adoptPatch(obj, owner, req.ownerResource), 'merge'),
    );
    if (adopted) owned.push(adopted);
  }
  return owned;
}

async function ownerStillCurrent(client: KubeClient, req: ClaimRequest): Promise<boolean> {
  try {
    const fresh = await client.resource(req.ownerResource).get(req.owner.metadata.namespace, req.owner.metadata.name!);
    return fresh.metadata.uid === req.owner.metadata.uid && !fresh.metadata.deletionTimestamp;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

// A dependent deleted or changed meanwhile is simply not claimed this round; the next reconcile sees it anew.
async function ignoreGone<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return undefined;
    throw err;
  }
}
