import { Injectable } from '@nestjs/common';
import { ApiError, KubeObject } from '@skiff/api-machinery';
import { isDeepStrictEqual } from 'node:util';
import {
  admitServerless,
  aggregateMessage,
  applyDefaults,
  claimLimitRangeViolations,
  convertBuiltIn,
  findUnknownFields,
  podLimitRangeViolations,
  podSpecOf,
  ResourceRegistry,
  SchemaNode,
  validateObject,
  withCanonicalQuantities,
  withLimitRangeDefaults,
  withoutUnknownFields,
} from '@skiff/api-server';
import { ServiceAccountAdmissionService } from '../auth/service-account-admission.service';
import { RbacEscalationCheck } from '../authorization/rbac-escalation.check';
import { RBAC_GROUP } from '../authorization/rbac-policy.cache';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { hasSubresource } from './object-meta';
import { admitPodSecurity, namespaceLabelWarnings, PodSecurityOutcome, templateAt } from './pod-security-admission';
import { ResourceContext, subjectOf } from './resource-context';
import { checkClaimResize, withDefaultStorageClass } from './storage-admission';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw ApiError.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}

/** Everything an object passes before it is stored: decoding checks, defaults, validation, admission. */
@Injectable()
export class AdmissionService {
  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStoreRepository,
    private readonly rbacEscalation: RbacEscalationCheck,
    private readonly serviceAccounts: ServiceAccountAdmissionService,
  ) {}

  schemaOf(ctx: ResourceContext): SchemaNode | undefined {
    return this.registry.schemas.schemaFor(ctx.type.group, ctx.type.version, ctx.type.kind);
  }

  /** Unknown fields: an error under Strict, warnings under Warn. */
  checkFields(ctx: ResourceContext, obj: unknown, mode: FieldValidation): string[] {
    if (mode === 'Ignore') return [];
    const schema = this.schemaOf(ctx);
    if (!schema) return [];
    const unknown = findUnknownFields(obj, schema);
    if (unknown.length === 0) return [];
    const messages = unknown.map((p) => `unknown field "${p.replace(/^\./, '')}"`);
    if (mode === 'Strict') {
      throw ApiError.badRequest(
        `${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: strict decoding error: ${messages.join(', ')}`,
      );
    }
    return messages;
  }

  /**
   * A built-in object as the apiserver's decoder leaves it: fields its schema does not know are
   * dropped (with a warning unless ignored) and quantities are canonical. Custom resources are
   * pruned by their structural schema when defaulted. Status behind a status subresource is left
   * to that endpoint.
   */
  decoded(ctx: ResourceContext, obj: KubeObject): KubeObject {
    const schema = this.schemaOf(ctx);
    if (ctx.type.custom || !schema) return obj;
    const keepStatus = hasSubresource(ctx.type, 'status') && obj.status !== undefined;
    const out = withCanonicalQuantities(withoutUnknownFields(obj, schema), schema);
    return keepStatus ? { ...out, status: obj.status } : out;
  }

  /**
   * Decodes (see `decoded`), defaults, validates (422) and applies serverless admission (403) unless
   * told not to (a create runs it after Pod Security, see `validateCreate`). Returns the defaulted object.
   */
  admit(ctx: ResourceContext, obj: KubeObject, old?: KubeObject, serverless = true): KubeObject {
    const storage = ctx.type.storageVersion;
    // A kind served in several versions has its rules written once, for the version it is stored in.
    if (storage) {
      const admitted = this.admit(
        { ...ctx, type: { ...ctx.type, version: storage, storageVersion: undefined } },
        convertBuiltIn(ctx.type, obj, storage),
        old && convertBuiltIn(ctx.type, old, storage),
        serverless,
      );
      return convertBuiltIn(ctx.type, admitted, ctx.type.version);
    }
    const defaulted = applyDefaults(ctx.type, this.decoded(ctx, obj));
    const causes = validateObject(ctx.type, defaulted, old, ctx.info.subresource);
    if (causes.length > 0) {
      throw ApiError.invalid(ctx.type.group, ctx.type.kind, defaulted.metadata.name ?? '', causes);
    }
    if (serverless) admitServerless(ctx.type, defaulted);
    return defaulted;
  }

  /**
   * Admission that reads other objects, on a new object before validation (upstream's mutating
   * plugins): DefaultStorageClass, ServiceAccount (and the token controller's filling of token Secrets), and
   * LimitRanger's container defaults on the defaulted pod.
   */
  async admitCreate(ctx: ResourceContext, obj: KubeObject): Promise<KubeObject> {
    (await this.escalationCheck(ctx))?.(obj);
    if (isClaim(ctx)) return withDefaultStorageClass(obj, await this.storageClasses());
    const inNamespace = { ...obj, metadata: { ...obj.metadata, namespace: ctx.namespace } };
    if (isCore(ctx, 'secrets')) return this.serviceAccounts.admitSecret(inNamespace);
    if (!isPod(ctx)) return obj;
    const pod = await this.serviceAccounts.admitPod(inNamespace);
    const ranges = await this.limitRanges(ctx.namespace);
    return ranges.length === 0 ? pod : withLimitRangeDefaults(applyDefaults(ctx.type, this.decoded(ctx, pod)), ranges);
  }

  /**
   * Admission that reads other objects, on a new valid object (upstream's validating plugins):
   * LimitRanger's bounds for pods and claims, Pod Security, then Skiff's serverless refusals (so a
   * namespace's policy has the first word). ResourceQuota comes last, with the write (quota-admission.ts).
   */
  async validateCreate(ctx: ResourceContext, obj: KubeObject): Promise<PodSecurityOutcome> {
    if (isPod(ctx) || isClaim(ctx)) {
      const ranges = await this.limitRanges(ctx.namespace);
      const errs = isPod(ctx) ? podLimitRangeViolations(obj, ranges) : claimLimitRangeViolations(obj, ranges);
      if (errs.length > 0) throw ApiError.forbidden(subjectOf(ctx, obj.metadata.name), aggregateMessage(errs));
    }
    const security = await this.podSecurity(ctx, obj);
    admitServerless(ctx.type, obj);
    return security;
  }

  /**
   * Pod Security on an object that carries a pod spec (a pod, a workload's template); nothing for
   * others. Updates are checked for workloads whose pod template changed (a pod's spec barely
   * changes after create), and for namespaces whose enforce level changed (existing pods).
   */
  async podSecurity(ctx: ResourceContext, obj: KubeObject, old?: KubeObject): Promise<PodSecurityOutcome> {
    if (old && isNamespace(ctx)) {
      const pods = async () =>
        (await this.store.list({ group: '', resource: 'pods', namespace: obj.metadata.name })).items;
      return { warnings: await namespaceLabelWarnings(obj, old, pods), auditAnnotations: {} };
    }
    const loc = ctx.info.subresource ? undefined : podSpecOf(ctx.type, obj);
    const unchanged =
      old &&
      (!loc?.templatePath || isDeepStrictEqual(templateAt(old, loc.templatePath), templateAt(obj, loc.templatePath)));
    if (!loc || unchanged) return { warnings: [], auditAnnotations: {} };
    const ns = await this.store.get({ group: '', resource: 'namespaces', namespace: '', name: ctx.namespace });
    return ns ? admitPodSecurity(ctx, obj, ns) : { warnings: [], auditAnnotations: {} };
  }

  private async limitRanges(namespace: string): Promise<KubeObject[]> {
    return (await this.store.list({ group: '', resource: 'limitranges', namespace })).items;
  }

  /**
   * Admission that reads other objects, on an update after validation (upstream's validating plugins):
   * PersistentVolumeClaimResize. What it reads is read first: the write decides under the object's lock
   * and does not wait.
   */
  async updateCheck(ctx: ResourceContext): Promise<(next: KubeObject, old: KubeObject) => void> {
    const escalation = await this.escalationCheck(ctx);
    if (escalation) return escalation;
    if (!isClaim(ctx)) return () => undefined;
    const classes = await this.storageClasses();
    return (next, old) => checkClaimResize(next, old, classes);
  }

  // RBAC's escalation prevention, for writes of roles and bindings by a user.
  private escalationCheck(ctx: ResourceContext): Promise<((obj: KubeObject, old?: KubeObject) => void) | undefined> {
    if (ctx.type.group !== RBAC_GROUP || ctx.info.subresource) return Promise.resolve(undefined);
    return this.rbacEscalation.prepare({ resource: ctx.type.resource, namespace: ctx.namespace, user: ctx.user });
  }

  private async storageClasses(): Promise<KubeObject[]> {
    return (await this.store.list({ group: 'storage.k8s.io', resource: 'storageclasses' })).items;
  }

  /** New content may only go into a namespace that exists and is not being deleted (nor into a deleted CRD). */
  async checkNamespaceOpen(ctx: ResourceContext, name: string): Promise<void> {
    if (ctx.type.custom?.terminating)
      throw ApiError.methodNotAllowed('create not allowed while custom resource definition is terminating');
    if (!ctx.type.namespaced) return;
    const ns = await this.store.get({ group: '', resource: 'namespaces', namespace: '', name: ctx.namespace });
    if (!ns) throw ApiError.notFound({ group: '', resource: 'namespaces', name: ctx.namespace });
    if (ns.metadata.deletionTimestamp) {
      throw ApiError.forbidden(
        { group: ctx.type.group, resource: ctx.type.resource, name },
        `unable to create new content in namespace ${ctx.namespace} because it is being terminated`,
      );
    }
  }
}

// The admission plugins see the objects themselves, not their subresources.
function isCore(ctx: ResourceContext, resource: string): boolean {
  return ctx.type.group === '' && ctx.type.resource === resource && !ctx.info.subresource;
}

function isNamespace(ctx: ResourceContext): boolean {
  return isCore(ctx, 'namespaces');
}

function isPod(ctx: ResourceContext): boolean {
  return isCore(ctx, 'pods');
}

function isClaim(ctx: ResourceContext): boolean {
  return isCore(ctx, 'persistentvolumeclaims');
}
