import { Injectable } from '@nestjs/common';
import { KubeObject, OwnerReference } from '@skiff/api-machinery';
import { Informer, isConflict, isNotFound } from '@skiff/kube-client';
import { ControllerContext, WorkloadController } from '../controllers/controller';
import {
  CONFIG_MAPS,
  CONTROLLER_REVISIONS,
  CRON_JOBS,
  DEPLOYMENTS,
  JOBS,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  REPLICA_SETS,
  SECRETS,
  SERVICES,
  STATEFUL_SETS,
  WorkloadResource,
} from '../controllers/resources';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

/** The kinds whose ownerReferences are followed; an owner of another kind is never judged absent. */
export const MONITORED: readonly WorkloadResource[] = [PODS, PERSISTENT_VOLUME_CLAIMS, CONFIG_MAPS, SECRETS, SERVICES, REPLICA_SETS, DEPLOYMENTS, STATEFUL_SETS, CONTROLLER_REVISIONS, JOBS, CRON_JOBS];

interface Node {
  resource: WorkloadResource;
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
export class GarbageCollectorReconciler implements WorkloadController {
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
    else if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND)) await this.deleteDependentsFirst(ctx, node);
    if (!obj.metadata.deletionTimestamp && (obj.metadata.ownerReferences ?? []).length > 0) await this.judgeOwners(ctx, node);
  }

  private observe(ctx: ControllerContext, key: string, obj: KubeObject, old?: KubeObject): void {
    this.byUid.set(obj.metadata.uid!, key);
    if (old && old !== obj) for (const ref of old.metadata.ownerReferences ?? []) this.dependents.get(ref.uid)?.delete(key);
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

  private lookup(key: string): Node | undefined {
    const bar = key.indexOf('|');
    const i = Number(key.slice(0, bar));
    const rest = key.slice(bar + 1);
    const slash = rest.indexOf('/');
    const obj = this.informers[i]?.get(rest.slice(0, slash) || undefined, rest.slice(slash + 1));
    return obj ? { resource: MONITORED[i], obj } : undefined;
  }

  private dependentsOf(owner: KubeObject): Node[] {
    return [...(this.dependents.get(owner.metadata.uid!) ?? [])].map((k) => this.lookup(k)).filter((n): n is Node => n !== undefined);
  }

  /** Deletes what `node` owns; the owner's finalizer goes once no blocking dependent is left. */
  private async deleteDependentsFirst(ctx: ControllerContext, node: Node): Promise<void> {
    const dependents = this.dependentsOf(node.obj).filter((d) => d.obj.metadata.ownerReferences?.some((r) => r.uid === node.obj.metadata.uid));
    for (const dep of dependents) {
      if (!dep.obj.metadata.deletionTimestamp) await this.deleteObject(ctx, dep);
    }
    const blocking = dependents.filter((d) => d.obj.metadata.ownerReferences?.some((r) => r.uid === node.obj.metadata.uid && r.blockOwnerDeletion));
    if (blocking.length > 0) return; // their deletion events bring this key back
    await this.removeFinalizer(ctx, node, FOREGROUND);
  }

  private async orphanDependents(ctx: ControllerContext, node: Node): Promise<void> {
    const uid = node.obj.metadata.uid!;
    for (const dep of this.dependentsOf(node.obj)) {
      const refs = dep.obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === uid)) continue;
      await ignoreGone(this.patch(ctx, dep, { metadata: { uid: dep.obj.metadata.uid, ownerReferences: refs.filter((r) => r.uid !== uid) } }));
    }
    await this.removeFinalizer(ctx, node, ORPHAN);
  }

  /** Deletes an object whose owners are all gone; drops references to the gone ones otherwise. */
  private async judgeOwners(ctx: ControllerContext, node: Node): Promise<void> {
    const refs = node.obj.metadata.ownerReferences ?? [];
    const absent: OwnerReference[] = [];
    let waitingForeground = false;
    for (const ref of refs) {
      const owner = await this.findOwner(ctx, node, ref);
      if (owner === 'unknown') return; // a kind we cannot look up: leave the object alone
      if (!owner) absent.push(ref);
      else if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND) && ref.blockOwnerDeletion) waitingForeground = true;
    }
    if (absent.length === refs.length || waitingForeground) {
      await this.deleteObject(ctx, node);
      return;
    }
    if (absent.length > 0) {
      const gone = new Set(absent.map((r) => r.uid));
      await ignoreGone(this.patch(ctx, node, { metadata: { uid: node.obj.metadata.uid, ownerReferences: refs.filter((r) => !gone.has(r.uid)) } }));
    }
  }

  /** The owner as it is now: from the caches, else from the API server (a fresh owner may not be cached yet). */
  private async findOwner(ctx: ControllerContext, node: Node, ref: OwnerReference): Promise<KubeObject | undefined | 'unknown'> {
    const cachedKey = this.byUid.get(ref.uid);
    const cached = cachedKey ? this.lookup(cachedKey)?.obj : undefined;
    if (cached && cached.metadata.uid === ref.uid) return cached;
    const resource = MONITORED.find((r) => r.apiVersion === ref.apiVersion && r.kind === ref.kind);
    if (!resource) return 'unknown';
    try {
      const live = await ctx.client.resource(resource).get(resource.namespaced ? node.obj.metadata.namespace : undefined, ref.name);
      return live.metadata.uid === ref.uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async deleteObject(ctx: ControllerContext, node: Node): Promise<void> {
    // Whatever this object owns goes first when it has dependents of its own, as upstream.
    const propagationPolicy = this.dependentsOf(node.obj).length > 0 ? 'Foreground' : 'Background';
    try {
      await ctx.client.resource(node.resource).delete(node.obj.metadata.namespace, node.obj.metadata.name!, { propagationPolicy, preconditions: { uid: node.obj.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async removeFinalizer(ctx: ControllerContext, node: Node, finalizer: string): Promise<void> {
    const finalizers = (node.obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await ignoreGone(this.patch(ctx, node, { metadata: { uid: node.obj.metadata.uid, resourceVersion: node.obj.metadata.resourceVersion, finalizers } }));
  }

  private patch(ctx: ControllerContext, node: Node, patch: object): Promise<KubeObject> {
    return ctx.client.resource(node.resource).patch(node.obj.metadata.namespace, node.obj.metadata.name!, patch, 'merge');
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
