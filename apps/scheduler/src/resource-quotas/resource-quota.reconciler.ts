import { Injectable } from '@nestjs/common';
import {
  Clock,
  isJsonObject,
  KubeObject,
  objectUsage,
  QuotaResource,
  quotaResourcesOf,
  quotaStatus,
} from '@skiff/api-machinery';
import {
  CONFIG_MAPS,
  Controller,
  ControllerContext,
  Informer,
  KindRef,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  REPLICATION_CONTROLLERS,
  ReconcileResult,
  RESOURCE_QUOTAS,
  SECRETS,
  SERVICES,
} from '@skiff/controller-runtime';
import { isNotFound, KubeClient, ResourceRef } from '@skiff/kube-client';
import { isDeepStrictEqual } from 'node:util';

// The resources whose changes move quota usage at once; other counted resources (count/<resource>.<group>)
// are recounted on the quotas' resync, as upstream's quota monitors do for resources without an informer.
const WATCHED: KindRef[] = [PODS, SERVICES, PERSISTENT_VOLUME_CLAIMS, CONFIG_MAPS, SECRETS, REPLICATION_CONTROLLERS];
const RESYNC_MS = 5 * 60_000;

/**
 * Upstream's resourcequota controller: keeps each ResourceQuota's status.hard (its spec.hard) and
 * status.used (the usage of the objects it matches: terminal pods count for nothing, deleted objects
 * are released). Admission charges creates in the write's transaction; this recounts from a fresh
 * read and writes status under the quota's resourceVersion, so a charge made meanwhile is never lost.
 */
@Injectable()
export class ResourceQuotaReconciler implements Controller {
  readonly name = 'resourcequota-controller';
  readonly workers = 2;
  private quotas!: Informer;

  constructor(private readonly clock: Clock) {}

  begin(ctx: ControllerContext): void {
    this.quotas = ctx.informers.get(RESOURCE_QUOTAS);
    const enqueue = (q: KubeObject) => ctx.enqueue(`${q.metadata.namespace}/${q.metadata.name}`);
    this.quotas.on('add', enqueue);
    this.quotas.on('update', enqueue);
    const namespaceChanged = (ns: string | undefined) => {
      for (const q of this.quotas.list().filter((x) => x.metadata.namespace === ns)) enqueue(q);
    };
    for (const ref of WATCHED) {
      const informer = ctx.informers.get(ref);
      const r: QuotaResource = ref;
      informer.on('add', (o) => namespaceChanged(o.metadata.namespace));
      informer.on('delete', (o) => namespaceChanged(o.metadata.namespace));
      // Only a change of what the object uses (a pod turning terminal) moves usage.
      informer.on('update', (o, old) => {
        const now = this.clock.now();
        if (old && !isDeepStrictEqual(objectUsage(r, o, now), objectUsage(r, old, now)))
          namespaceChanged(o.metadata.namespace);
      });
    }
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/');
    const client = ctx.client.resource(RESOURCE_QUOTAS);
    let quota: KubeObject;
    try {
      // Read fresh (not from the cache): the status is written under this resourceVersion.
      quota = await client.get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const hard = Object.keys(isJsonObject(quota.spec) && isJsonObject(quota.spec.hard) ? quota.spec.hard : {});
    const objects = new Map<string, KubeObject[]>();
    for (const r of quotaResourcesOf(hard)) {
      objects.set(`${r.resource}.${r.group}`, await listObjects(ctx.client, r, namespace));
    }
    const status = quotaStatus(quota, (r) => objects.get(`${r.resource}.${r.group}`) ?? [], this.clock.now());
    const current = isJsonObject(quota.status) ? quota.status : {};
    if (isDeepStrictEqual(current.hard ?? {}, status.hard) && isDeepStrictEqual(current.used ?? {}, status.used))
      return { requeueAfterMs: RESYNC_MS };
    // A charge or a spec change in between fails this with 409: the retry counts again from the new version.
    await client.updateStatus(namespace, { ...quota, status: { ...current, ...status } });
    return { requeueAfterMs: RESYNC_MS };
  }
}

async function listObjects(client: KubeClient, r: QuotaResource, namespace: string): Promise<KubeObject[]> {
  const ref: ResourceRef = { ...r, version: await preferredVersion(client, r.group), namespaced: true };
  try {
    return (await client.resource(ref).list(namespace)).items;
  } catch (err) {
    // A quota may name a resource nobody serves: it counts nothing.
    if (isNotFound(err)) return [];
    throw err;
  }
}

async function preferredVersion(client: KubeClient, group: string): Promise<string> {
  if (group === '') return 'v1';
  try {
    const g = await client.request<{ preferredVersion?: { version?: string } }>('GET', `/apis/${group}`);
    return g.preferredVersion?.version ?? 'v1';
  } catch (err) {
    if (isNotFound(err)) return 'v1';
    throw err;
  }
}
