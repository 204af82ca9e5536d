import { ApiError, ErrorSubject, KubeObject } from '@skiff/api-machinery';
import { apiVersionOf, convertBuiltIn, ResourceRegistry, ResourceType } from '@skiff/api-server';
import type { UserInfo } from '../auth/request-user';
import { ObjectKey } from '../storage/object-key';
import { RequestInfo } from './request-info';

/** A resource request resolved against the served resources. */
export interface ResourceContext {
  info: RequestInfo;
  type: ResourceType;
  apiVersion: string;
  /** '' for cluster-scoped resources and all-namespace lists. */
  namespace: string;
  /** Who asks (the request's user); absent for writes the API server makes itself. */
  user?: UserInfo;
}

export function resolveResource(registry: ResourceRegistry, info: RequestInfo, path: string): ResourceContext {
  const type = registry.get(info.group, info.version, info.resource);
  if (!type) throw ApiError.pathNotFound(path);
  if (!type.namespaced && info.namespace !== undefined) throw ApiError.pathNotFound(path);
  if (info.subresource && !type.subresources.some((s) => s.name === info.subresource))
    throw ApiError.pathNotFound(path);
  if (type.namespaced && info.namespace === undefined && info.name !== undefined) throw ApiError.pathNotFound(path);
  return { info, type, apiVersion: apiVersionOf(type), namespace: info.namespace ?? '' };
}

/** The context of a write the API server makes itself (no user): its own system objects. */
export function systemContext(
  registry: ResourceRegistry,
  group: string,
  resource: string,
  namespace = '',
): ResourceContext {
  const type = registry.all().find((t) => t.group === group && t.resource === resource);
  if (!type) throw new Error(`unknown stored resource ${group}/${resource}`);
  return {
    info: { verb: 'delete', group, version: type.version, resource, namespace: namespace || undefined },
    type,
    apiVersion: apiVersionOf(type),
    namespace,
  };
}

export function keyOf(ctx: ResourceContext, name: string): ObjectKey {
  return { group: ctx.type.group, resource: ctx.type.resource, namespace: ctx.namespace, name };
}

export function subjectOf(ctx: ResourceContext, name?: string): ErrorSubject {
  return { group: ctx.type.group, resource: ctx.type.resource, name };
}

/**
 * Custom resources are stored in their CRD's storage version and served in every served
 * version by rewriting apiVersion (conversion strategy None). Built-ins with a storage version
 * of their own (autoscaling/v1 HPAs) are converted; the others pass through.
 */
export function fromStorage(ctx: ResourceContext, obj: KubeObject): KubeObject {
  if (ctx.type.storageVersion) return convertBuiltIn(ctx.type, obj, ctx.type.version);
  return ctx.type.custom && obj.apiVersion !== ctx.apiVersion ? { ...obj, apiVersion: ctx.apiVersion } : obj;
}

export function toStorage(ctx: ResourceContext, obj: KubeObject): KubeObject {
  if (ctx.type.storageVersion) return convertBuiltIn(ctx.type, obj, ctx.type.storageVersion);
  const storage = ctx.type.custom?.storageVersion;
  return storage && storage !== ctx.type.version ? { ...obj, apiVersion: `${ctx.type.group}/${storage}` } : obj;
}
