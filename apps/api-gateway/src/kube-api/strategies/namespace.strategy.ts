import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { ResourceStrategy } from './resource-strategy';

/** Namespaces keep the status defaulting gives them; a delete turns them Terminating until emptied. */
export class NamespaceStrategy extends ResourceStrategy {
  override readonly deletesContents = true;

  override withInitialStatus(obj: KubeObject): KubeObject {
    return obj;
  }

  override markedForDeletion(ns: KubeObject): KubeObject {
    return { ...ns, status: { ...(isJsonObject(ns.status) ? ns.status : {}), phase: 'Terminating' } };
  }
}
