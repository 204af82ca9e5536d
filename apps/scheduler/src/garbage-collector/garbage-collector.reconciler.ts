import { Injectable } from '@nestjs/common';
import { GARBAGE_COLLECTED_KINDS, KubeObject, OwnerReference } from '@skiff/api-machinery';
import { ControllerContext, Informer, Controller, KindRef } from '@skiff/controller-runtime';
import { isConflict, isNotFound } from '@skiff/kube-client';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

/** The kinds whose ownerReferences are followed; an owner of another kind is never judged absent. */
const MONITORED: readonly KindRef[] = GARBAGE_COLLECTED_KINDS.map((k) => ({
  ...k,
  apiVersion: k.group ? `${k.group}/${k.version}` : k.version,
}));

interface Node {
  resource: KindRef;
  obj: KubeObject;
}

/**
 * The garbage collector (pkg/controller/garbagecollector), for the monitored kinds: deletes
 * objects whose owners are all gone, deletes dependents first for owners being deleted in
 * the foreground, and strips ownerReferences for owners deleted with orphan propagation.
 * Keys are `<index in MONITORED>|<namespace>/<name>`; the uid index is rebuilt from the
 * informers on every event, so a restart (a new term) collects what was orphaned meanwhile.
 */
@Injectable()
export class GarbageCollectorReconciler implements Controller {
  readonly name = 'garbage-collector';
  readonly workers = 8;
  private informers: Informer[] = [];
  private readonly byUid = new Map<string, string>();
  private readonly dependents = new Map<string, Set<string>>();

  begin(ctx: ControllerContext): void {
    this.byUid.clear();
    this.dependents.clear();
    this.informers = MONITORED.map((resource, i) => {
      const informer = ctx.informers.get(resource);
      const keyOf = (obj: KubeObject): string => `${i}|${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      informer.on('add', (obj) => this.observe(ctx, keyOf(obj), obj));
      informer.on('update', (obj, old) => this.observe(ctx, keyOf(obj), obj, old));
      informer.on('delete', (obj) => this.forget(ctx, keyOf(obj), obj));
      return informer;
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const node = this.lookup(key);
    if (!node) return;
    const { obj } = node;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN)) await this.orphanDependents(ctx, node);
    else if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND))
      await this.deleteDependentsFirst(ctx, node);
    if (!obj.metadata.deletionTimestamp && (obj.metadata.ownerReferences ?? []).length > 0)
      await this.judgeOwners(ctx, node);
  }

  private observe(ctx: ControllerContext, key: string, obj: KubeObject, old?: KubeObject): void {
    this.byUid.set(obj.metadata.uid!, key);
    if (old && old !== obj)
      for (const ref of old.metadata.ownerReferences ?? []) this.dependents.get(ref.uid)?.delete(key);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(key);
    }
    if ((obj.metadata.ownerReferences ?? []).length > 0 || obj.metadata.deletionTimestamp) ctx.enqueue(key);
    // An owner going away (or finishing its deletion) changes what its dependents must do.
    if (obj.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp) this.enqueueDependents(ctx, obj);
  }

  private forget(ctx: ControllerContext, key: string, obj: KubeObject): void {
    if (this.byUid.get(obj.metadata.uid!) === key) this.byUid.delete(obj.metadata.uid!);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      this.dependents.get(ref.uid)?.delete(key);
      const ownerKey = this.byUid.get(ref.uid);
      if (ownerKey) ctx.enqueue(ownerKey); // an owner deleting in the foreground may now be free
    }
    this.enqueueDependents(ctx, obj);
  }

  private enqueueDependents(ctx: ControllerContext, owner: KubeObject): void {
    for (const dep of this.dependents.get(owner.metadata.uid!) ?? []) ctx.enqueue(dep);
  }

  private keyOf(node: Node): string {
    return `${MONITORED.indexOf(node.resource)}|${node.obj.metadata.namespace ?? ''}/${node.obj.metadata.name}`;
  }

  private lookup(key: string): Node | undefined {
    const bar = key.indexOf('|');
    const i = Number(key.slice(0, bar));
    const rest = key.slice(bar + 1);
    const slash = rest.indexOf('/');
    const obj = this.informers[i]?.get(rest.slice(0, slash) || undefined, rest.slice(slash + 1));
    return obj ? { resource: MONITORED[i], obj } : undefined;
  }

  private dependentsOf(owner: KubeObject): Node[] {
    return [...(this.dependents.get(owner.metadata.uid!) ?? [])]
      .map((k) => this.lookup(k))
      .filter((n): n is Node => n !== undefined);
  }

  /** Has each dependent judge its owners again (this one no longer counts); the finalizer goes once no blocking dependent is left. */
  private async deleteDependentsFirst(ctx: ControllerContext, node: Node): Promise<void> {
    const uid = node.obj.metadata.uid;
    const dependents = this.dependentsOf(node.obj).filter((d) =>
      d.obj.metadata.ownerReferences?.some((r) => r.uid === uid),
    );
    for (const dep of dependents) if (!dep.obj.metadata.deletionTimestamp) ctx.enqueue(this.keyOf(dep));
    if (dependents.some((d) => d.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion)))
      return; // their deletions bring this key back
    await this.removeFinalizer(ctx, node, FOREGROUND);
  }

  private async orphanDependents(ctx: ControllerContext, node: Node): Promise<void> {
    const uid = node.obj.metadata.uid!;
    for (const dep of this.dependentsOf(node.obj)) {
      const refs = dep.obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === uid)) continue;
      await ignoreGone(
        this.patch(ctx, dep, {
          metadata: {
            uid: dep.obj.metadata.uid,
            resourceVersion: dep.obj.metadata.resourceVersion,
            ownerReferences: refs.filter((r) => r.uid !== uid),
          },
        }),
      );
    }
    await this.removeFinalizer(ctx, node, ORPHAN);
  }

  /**
   * upstream's classifyReferences: with a solid owner left (present, not deleting in the
   * foreground) the object stays and only loses its references to absent or foreground-deleting
   * owners; with none left it is deleted — in the foreground itself when an owner waits for it
   * and it has dependents of its own.
   */
  private async judgeOwners(ctx: ControllerContext, node: Node): Promise<void> {
    const refs = node.obj.metadata.ownerReferences ?? [];
    const dropped = new Set<string>();
    let solid = 0;
    let waiting = false;
    for (const ref of refs) {
      const owner = await this.findOwner(ctx, node, ref);
      if (owner === 'unknown') return; // a kind we cannot look up: leave the object alone
      if (!owner) dropped.add(ref.uid);
      else if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND)) {
        dropped.add(ref.uid);
        waiting ||= ref.blockOwnerDeletion === true;
      } else solid++;
    }
    if (dropped.size === 0) return;
    // Decide on the object as it is now, not as cached: it may have been adopted meanwhile.
    const live = await this.reread(ctx, node);
    if (!live || JSON.stringify(live.metadata.ownerReferences ?? []) !== JSON.stringify(refs)) return; // its update event brings it back
    const fresh = { ...node, obj: live };
    if (solid > 0) {
      await ignoreGone(
        this.patch(ctx, fresh, {
          metadata: {
            uid: live.metadata.uid,
            resourceVersion: live.metadata.resourceVersion,
            ownerReferences: refs.filter((r) => !dropped.has(r.uid)),
          },
        }),
      );
      return;
    }
    await this.deleteObject(ctx, fresh, waiting && this.dependentsOf(live).length > 0 ? 'Foreground' : 'Background');
  }

  private async reread(ctx: ControllerContext, node: Node): Promise<KubeObject | undefined> {
    try {
      const live = await ctx.client.resource(node.resource).get(node.obj.metadata.namespace, node.obj.metadata.name!);
      return live.metadata.uid === node.obj.metadata.uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The owner as it is now: from the caches, else from the API server (a fresh owner may not be cached yet). */
  private async findOwner(
    ctx: ControllerContext,
    node: Node,
    ref: OwnerReference,
  ): Promise<KubeObject | undefined | 'unknown'> {
    const cachedKey = this.byUid.get(ref.uid);
    const cached = cachedKey ? this.lookup(cachedKey)?.obj : undefined;
    if (cached && cached.metadata.uid === ref.uid) return cached;
    const resource = MONITORED.find((r) => r.apiVersion === ref.apiVersion && r.kind === ref.kind);
    if (!resource) return 'unknown';
    try {
      const live = await ctx.client
        .resource(resource)
        .get(resource.namespaced ? node.obj.metadata.namespace : undefined, ref.name);
      return live.metadata.uid === ref.uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async deleteObject(
    ctx: ControllerContext,
    node: Node,
    propagationPolicy: 'Foreground' | 'Background',
  ): Promise<void> {
    try {
      await ctx.client.resource(node.resource).delete(node.obj.metadata.namespace, node.obj.metadata.name!, {
        propagationPolicy,
        preconditions: { uid: node.obj.metadata.uid, resourceVersion: node.obj.metadata.resourceVersion },
      });
    } catch (err) {
      // Changed since it was read: its update event brings it back for another look.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async removeFinalizer(ctx: ControllerContext, node: Node, finalizer: string): Promise<void> {
    const finalizers = (node.obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await ignoreGone(
      this.patch(ctx, node, {
        metadata: { uid: node.obj.metadata.uid, resourceVersion: node.obj.metadata.resourceVersion, finalizers },
      }),
    );
  }

  private patch(ctx: ControllerContext, node: Node, patch: object): Promise<KubeObject> {
    return ctx.client
      .resource(node.resource)
      .patch(node.obj.metadata.namespace, node.obj.metadata.name!, patch, 'merge');
  }
}

async function ignoreGone<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
