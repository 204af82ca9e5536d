// Upstream's ResourceQuota admission (plugin/pkg/admission/resourcequota), charged in the write's own
// transaction: the namespace's quotas are read locked, checked and their status.used raised in the
// commit that stores the object, so concurrent creates never overshoot and a refusal writes nothing.
// Deletes release nothing here: the quota controller recomputes status.used, as upstream.
import { ApiError, chargedOnUpdate, chargeQuotas, KubeObject, QuotaExceededError } from '@skiff/api-machinery';
import { CoWrite } from '../storage/object-store.repository';
import { ResourceContext, subjectOf } from './resource-context';

const QUOTAS = { group: '', resource: 'resourcequotas' };

function charged(ctx: ResourceContext, update: boolean): boolean {
  if (!ctx.type.namespaced || ctx.info.subresource) return false;
  return !update || chargedOnUpdate(ctx.type);
}

function charge(
  ctx: ResourceContext,
  quotas: readonly KubeObject[],
  object: KubeObject,
  old: KubeObject | undefined,
  now: Date,
): KubeObject[] {
  try {
    return chargeQuotas(quotas, ctx.type, object, old, now);
  } catch (err) {
    if (err instanceof QuotaExceededError) throw ApiError.forbidden(subjectOf(ctx, object.metadata.name), err.message);
    throw err;
  }
}

/** The quota charge for a create (or an update of what upstream charges on update), run with the write. */
export function quotaCharge(ctx: ResourceContext, update: boolean, now: () => Date): CoWrite | undefined {
  if (!charged(ctx, update)) return undefined;
  return async (tx, object, current) => {
    const quotas = await tx.list(QUOTAS.group, QUOTAS.resource, ctx.namespace);
    if (quotas.length === 0) return [];
    return charge(ctx, quotas, object, update ? current : undefined, now()).map((q) => ({
      key: { ...QUOTAS, namespace: ctx.namespace, name: q.metadata.name! },
      object: q,
    }));
  };
}

/** A dry run is checked against the quotas as they are, and charges nothing. */
export function checkQuotaDryRun(
  ctx: ResourceContext,
  quotas: readonly KubeObject[],
  object: KubeObject,
  old: KubeObject | undefined,
  now: Date,
): void {
  if (charged(ctx, old !== undefined)) charge(ctx, quotas, object, old, now);
}
