import { isGarbageCollected, KubeObject } from '@skiff/api-machinery';
import { ResourceType } from '@skiff/api-server';
import { hasSubresource } from '../object-meta';

/**
 * Thrown by `prepareForUpdate` when the update needs something from elsewhere first (a Service
 * turning from ExternalName needs a ClusterIP): the writer runs `prepare` and tries once more.
 */
export class UpdateNeedsPreparation extends Error {
  constructor(readonly prepare: (dryRun: boolean) => Promise<void>) {
    super('the update needs preparation');
    this.name = 'UpdateNeedsPreparation';
  }
}

/**
 * What differs between resources when they are written and deleted, as upstream's registry
 * strategies (RESTCreateStrategy, RESTUpdateStrategy, RESTDeleteStrategy, the status
 * strategies). The writer and DeletionService are generic and ask the resource's strategy.
 */
export class ResourceStrategy {
  /** PUT without a resourceVersion replaces unconditionally. */
  readonly allowUnconditionalUpdate: boolean = true;
  /** Strategic merge patch has patch strategies to merge by (built-ins only). */
  readonly strategicMergePatch: boolean = true;
  /** Status written through /status is defaulted and validated (custom resources, against their schema). */
  readonly validateStatusUpdate: boolean = false;
  /** Deletion only marks the object; a controller removes its contents, then the object (namespaces). */
  readonly deletesContents: boolean = false;

  constructor(readonly type: ResourceType) {}

  /** Before defaulting and validation of a new object: fields the server generates from it. */
  prepareForCreate(obj: KubeObject): KubeObject {
    return obj;
  }

  /** Just before a new object is stored: what it takes from elsewhere (a Service's ClusterIP); nothing is held on a dry run. */
  async beforeCreate(obj: KubeObject, _dryRun: boolean): Promise<KubeObject> {
    return obj;
  }

  /** After an update is stored: what the change gives back. */
  async afterUpdate(_next: KubeObject, _current: KubeObject): Promise<void> {}

  /** An update whose preparation ran was not stored after all: gives back what the preparation took. */
  async abandonUpdate(): Promise<void> {}

  /** The object is gone (deleted, or its create failed after `beforeCreate`): gives back what it held. */
  async release(_obj: KubeObject): Promise<void> {}

  /** After admission: a new object behind a status subresource starts from the resource's initial status. */
  withInitialStatus(obj: KubeObject): KubeObject {
    if (!hasSubresource(this.type, 'status')) return obj;
    const { status: _status, ...rest } = obj;
    const status = this.initialStatus();
    return status === undefined ? (rest as KubeObject) : { ...rest, status };
  }

  /** The status a new object is stored with; none by default. */
  protected initialStatus(): KubeObject['status'] {
    return undefined;
  }

  /**
   * What an update through the resource or one of its subresources may change: `requested`
   * (already carrying the server-owned metadata of `current`) is cut back to that.
   */
  prepareForUpdate(requested: KubeObject, current: KubeObject, subresource: string | undefined): KubeObject {
    // Only status moves through /status.
    if (subresource === 'status') return { ...current, status: requested.status, metadata: { ...current.metadata } };
    // With a status subresource, the main resource cannot change status.
    if (!hasSubresource(this.type, 'status')) return requested;
    const next = { ...requested };
    if (current.status === undefined) delete next.status;
    else next.status = current.status;
    return next;
  }

  /** The finalizers a delete leaves on the object: the garbage collector's for Foreground and Orphan. */
  finalizersOnDelete(finalizers: string[], policy: string | undefined): string[] {
    if (!isGarbageCollected(this.type.group, this.type.kind)) return finalizers;
    const wanted = policy === 'Foreground' ? 'foregroundDeletion' : policy === 'Orphan' ? 'orphan' : undefined;
    return wanted && !finalizers.includes(wanted) ? [...finalizers, wanted] : finalizers;
  }

  /** Seconds the object stays marked before it goes (graceful deletion); undefined: it goes at once. */
  gracePeriod(_obj: KubeObject, _requested: number | undefined): number | undefined {
    return undefined;
  }

  /** The object as marked for deletion (namespaces also turn Terminating). */
  markedForDeletion(obj: KubeObject): KubeObject {
    return obj;
  }
}
