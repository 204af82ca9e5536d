import { Injectable } from '@nestjs/common';
import {
  ApiError,
  applyJsonMergePatch,
  applyJsonPatch,
  Clock,
  isJsonObject,
  JsonObject,
  KubeObject,
} from '@skiff/api-machinery';
import {
  apiVersionOf,
  applyStrategicMergePatch,
  ResourceRegistry,
  serverSideApply,
  updateManagedFields,
} from '@skiff/api-server';
import { isDeepStrictEqual } from 'node:util';
import { ObjectStoreRepository, WriteDecision, WriteResult } from '../storage/object-store.repository';
import { AdmissionService, FieldValidation } from './admission.service';
import { checkQuotaDryRun, quotaCharge } from './quota-admission';
import { clone, generatedName, newUid, sameObject, specChanged, timestamp, withoutServerMeta } from './object-meta';
import { fromStorage, keyOf, ResourceContext, subjectOf, toStorage } from './resource-context';
import { fromScale, toScale } from './scale';
import { ResourceStrategies, UpdateNeedsPreparation } from './strategies';

/** A body as decoded from a request, or an object the API server writes itself. */
export type RequestBody = JsonObject | KubeObject;

export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  force?: boolean;
}

export interface WriteOutcome {
  code: 200 | 201;
  object: KubeObject;
  warnings: string[];
  /** Admission's notes for the audit event (Pod Security's audit mode). */
  auditAnnotations?: Record<string, string>;
}

/** create, update and patch for every resource, including the status and scale subresources. */
@Injectable()
export class ResourceWriterService {
  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly admission: AdmissionService,
    private readonly clock: Clock,
    private readonly registry: ResourceRegistry,
    private readonly strategies: ResourceStrategies,
  ) {}

  async create(
    ctx: ResourceContext,
    body: RequestBody,
    opts: WriteOptions,
    appliedFields?: KubeObject['metadata']['managedFields'],
  ): Promise<WriteOutcome> {
    const obj = this.checkTypeMeta(ctx, body);
    if (obj.metadata.resourceVersion)
      throw ApiError.badRequest('resourceVersion should not be set on objects to be created');
    const warnings = this.admission.checkFields(ctx, body, opts.fieldValidation);
    const incoming = withoutServerMeta(obj);
    if (!incoming.metadata.name && incoming.metadata.generateName) {
      incoming.metadata.name = generatedName(incoming.metadata.generateName);
    }
    if (!incoming.metadata.name) {
      throw ApiError.invalid(ctx.type.group, ctx.type.kind, '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    const name = incoming.metadata.name;
    await this.admission.checkNamespaceOpen(ctx, name);
    const now = this.clock.now();
    const strategy = this.strategies.for(ctx.type);
    const uid = newUid();
    const admitted = await this.admission.admitCreate(ctx, { ...incoming, metadata: { ...incoming.metadata, uid } });
    let created: KubeObject = this.admission.admit(ctx, strategy.prepareForCreate(admitted), undefined, false);
    const security = await this.admission.validateCreate(ctx, created);
    warnings.push(...security.warnings);
    const auditAnnotations = security.auditAnnotations;
    created.metadata = { ...created.metadata, uid, creationTimestamp: timestamp(now), generation: 1 };
    created = strategy.withInitialStatus(created);
    created = appliedFields
      ? { ...created, metadata: { ...created.metadata, managedFields: appliedFields } }
      : updateManagedFields({
          old: undefined,
          updated: created,
          manager: opts.fieldManager,
          schema: this.admission.schemaOf(ctx),
          apiVersion: ctx.apiVersion,
          now: timestamp(now),
        });
    if (opts.dryRun) {
      const existing = await this.store.get(keyOf(ctx, name));
      if (existing) throw ApiError.alreadyExists(subjectOf(ctx, name));
      const quotas = await this.store.list({ group: '', resource: 'resourcequotas', namespace: ctx.namespace });
      checkQuotaDryRun(ctx, quotas.items, toStorage(ctx, created), undefined, now);
      return { code: 201, object: await strategy.beforeCreate(created, true), warnings, auditAnnotations };
    }
    const prepared = await strategy.beforeCreate(created, false);
    try {
      const res = await this.store.write(
        keyOf(ctx, name),
        (current) => {
          if (current) throw ApiError.alreadyExists(subjectOf(ctx, name));
          return { op: 'create', object: toStorage(ctx, prepared) };
        },
        quotaCharge(ctx, false, () => this.clock.now()),
      );
      return { code: 201, object: fromStorage(ctx, res.object!), warnings, auditAnnotations };
    } catch (err) {
      await strategy.release(prepared);
      throw err;
    }
  }

  /** PUT: replace the object (or its status / scale). */
  async update(ctx: ResourceContext, name: string, body: RequestBody, opts: WriteOptions): Promise<WriteOutcome> {
    const sub = ctx.info.subresource;
    const warnings = sub === 'scale' ? [] : this.admission.checkFields(ctx, body, opts.fieldValidation);
    if (sub !== 'scale') this.checkTypeMeta(ctx, body, name);
    const requested = isJsonObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    // "" and "0" ask for an unconditional update, which custom resources do not allow (as upstream's strategies).
    const requestedRv = requested === '0' ? '' : requested;
    if (
      !this.strategies.for(ctx.type).allowUnconditionalUpdate &&
      sub !== 'scale' &&
      (requestedRv === undefined || requestedRv === '')
    ) {
      throw ApiError.invalid(ctx.type.group, ctx.type.resource, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.resourceVersion',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }
    return this.modify(ctx, name, opts, warnings, (current) => {
      if (typeof requestedRv === 'string' && requestedRv !== '' && requestedRv !== current.metadata.resourceVersion) {
        throw ApiError.conflict(
          subjectOf(ctx, name),
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      if (sub === 'scale') return fromScale(ctx.type, current, body);
      return body as KubeObject;
    });
  }

  /** PATCH in any of the four patch types. Server-side apply may create the object. */
  async patch(
    ctx: ResourceContext,
    name: string,
    contentType: string,
    patch: unknown,
    opts: WriteOptions,
  ): Promise<WriteOutcome> {
    if (contentType === 'application/apply-patch+yaml') return this.apply(ctx, name, patch, opts);
    const sub = ctx.info.subresource;
    const strategy = this.strategies.for(ctx.type);
    let warnings: string[] = [];
    const outcome = await this.modify(ctx, name, opts, [], (current) => {
      const base: JsonObject = (sub === 'scale' ? toScale(ctx.type, current) : current) as JsonObject;
      let patched: unknown;
      switch (contentType) {
        case 'application/merge-patch+json':
          patched = applyJsonMergePatch(clone(base), patch as JsonObject);
          break;
        case 'application/json-patch+json':
          patched = applyJsonPatch(clone(base), patch);
          break;
        case 'application/strategic-merge-patch+json':
          // Custom resources have no patch strategies to merge by; kubectl falls back to merge patch.
          if (!strategy.strategicMergePatch) throw withoutStrategicMerge();
          if (!isJsonObject(patch)) throw ApiError.badRequest('a strategic merge patch must be a JSON object');
          patched = applyStrategicMergePatch(base, patch, sub === 'scale' ? undefined : this.admission.schemaOf(ctx));
          break;
        default:
          throw strategy.strategicMergePatch ? ApiError.unsupportedMediaType(contentType) : withoutStrategicMerge();
      }
      if (!isJsonObject(patched)) throw ApiError.badRequest('the patched object must be a JSON object');
      checkPatchPreconditions(ctx, name, current, patched);
      if (sub === 'scale') return fromScale(ctx.type, current, patched);
      warnings = this.admission.checkFields(ctx, patched, opts.fieldValidation);
      return patched as KubeObject;
    });
    return { ...outcome, warnings: [...warnings, ...outcome.warnings] };
  }

  private async apply(ctx: ResourceContext, name: string, patch: unknown, opts: WriteOptions): Promise<WriteOutcome> {
    if (!isJsonObject(patch)) throw ApiError.badRequest('an apply patch must be a YAML or JSON object');
    const warnings = this.admission.checkFields(ctx, patch, opts.fieldValidation);
    // Decoded before merging: no manager comes to own an unknown field or a non-canonical quantity.
    const applied = this.admission.decoded(ctx, this.checkTypeMeta(ctx, patch, name));
    if (!opts.fieldManager || opts.fieldManager === 'unknown') {
      throw ApiError.badRequest('PATCH requests with apply patch type require a fieldManager');
    }
    const existing = await this.store.get(keyOf(ctx, name));
    if (!existing) {
      if (ctx.info.subresource) throw ApiError.notFound(subjectOf(ctx, name));
      const merged = this.serverSideApply(ctx, undefined, applied, opts);
      const { managedFields, ...metadata } = merged.metadata;
      const created = await this.create(
        ctx,
        { ...merged, metadata },
        { ...opts, fieldValidation: 'Ignore' },
        managedFields,
      );
      return { ...created, warnings: [...warnings, ...created.warnings] };
    }
    return this.modify(ctx, name, opts, warnings, (current) => this.serverSideApply(ctx, current, applied, opts), true);
  }

  private serverSideApply(
    ctx: ResourceContext,
    live: KubeObject | undefined,
    applied: KubeObject,
    opts: WriteOptions,
  ): KubeObject {
    return serverSideApply({
      live,
      applied,
      manager: opts.fieldManager,
      force: opts.force ?? false,
      schema: this.admission.schemaOf(ctx),
      apiVersion: ctx.apiVersion,
      now: timestamp(this.clock.now()),
      subresource: ctx.info.subresource,
    });
  }

  /**
   * The shared read-modify-write: `change` turns the current object into the requested one;
   * then server-owned fields are kept, subresource rules applied, defaults and validation run.
   */
  private async modify(
    ctx: ResourceContext,
    name: string,
    opts: WriteOptions,
    warnings: string[],
    change: (current: KubeObject) => KubeObject,
    managedByApply = false,
  ): Promise<WriteOutcome> {
    const sub = ctx.info.subresource;
    const strategy = this.strategies.for(ctx.type);
    let before: KubeObject | undefined;
    const checkUpdate = await this.admission.updateCheck(ctx);
    const decide = (stored: KubeObject | undefined): WriteDecision => {
      if (!stored) throw ApiError.notFound(subjectOf(ctx, name));
      const current = fromStorage(ctx, stored);
      before = current;
      const requested = change(clone(current));
      let next = strategy.prepareForUpdate(this.withServerMeta(ctx, current, requested), current, sub);
      if (sub !== 'status' || strategy.validateStatusUpdate) next = this.admission.admit(ctx, next, current);
      checkUpdate(next, current);
      if (specChanged(current, next)) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
      if (!managedByApply) {
        next = updateManagedFields({
          old: current,
          updated: next,
          manager: opts.fieldManager,
          schema: this.admission.schemaOf(ctx),
          apiVersion: ctx.apiVersion,
          now: timestamp(this.clock.now()),
          subresource: sub === 'status' || sub === 'scale' || sub === 'ephemeralcontainers' ? sub : undefined,
        });
      }
      if (sameObject(current, next) && isDeepStrictEqual(stripTimes(current), stripTimes(next)))
        return { op: 'none', object: stored };
      if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0)
        return { op: 'delete', object: toStorage(ctx, next) };
      return { op: 'update', object: toStorage(ctx, next) };
    };
    const attempt = async (): Promise<WriteResult> =>
      opts.dryRun
        ? { ...decide(await this.store.get(keyOf(ctx, name))), op: 'none' }
        : this.store.write(
            keyOf(ctx, name),
            decide,
            quotaCharge(ctx, true, () => this.clock.now()),
          );
    let res: WriteResult;
    try {
      res = await attempt();
    } catch (err) {
      if (!(err instanceof UpdateNeedsPreparation)) throw err;
      await err.prepare(opts.dryRun);
      try {
        res = await attempt();
      } catch (again) {
        await strategy.abandonUpdate();
        throw again;
      }
    }
    if (res.op === 'update') await strategy.afterUpdate(fromStorage(ctx, res.object!), before!);
    if (res.op === 'delete') await strategy.release(before!);
    const object = present(ctx, res.object!);
    const security = res.op === 'update' ? await this.admission.podSecurity(ctx, object, before) : undefined;
    return {
      code: 200,
      object,
      warnings: [...warnings, ...(security?.warnings ?? [])],
      auditAnnotations: security?.auditAnnotations,
    };
  }

  /** `requested` with the metadata the server owns taken from `current`. */
  private withServerMeta(ctx: ResourceContext, current: KubeObject, requested: KubeObject): KubeObject {
    const meta = requested.metadata ?? {};
    const metadata = {
      ...meta,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation,
      resourceVersion: current.metadata.resourceVersion,
      deletionTimestamp: current.metadata.deletionTimestamp,
      deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
      managedFields: meta.managedFields ?? current.metadata.managedFields,
    };
    for (const k of Object.keys(metadata) as (keyof typeof metadata)[])
      if (metadata[k] === undefined) delete metadata[k];
    return { ...requested, apiVersion: ctx.apiVersion, kind: ctx.type.kind, metadata };
  }

  private checkTypeMeta(ctx: ResourceContext, body: RequestBody, urlName?: string): KubeObject {
    const { apiVersion, kind } = body;
    if (kind !== undefined && kind !== ctx.type.kind)
      throw this.wrongKind(
        ctx,
        String(kind),
        typeof apiVersion === 'string' && apiVersion !== '' ? apiVersion : ctx.apiVersion,
      );
    if (apiVersion !== undefined && apiVersion !== ctx.apiVersion) {
      throw ApiError.badRequest(
        `the API version in the data (${String(apiVersion)}) does not match the expected API version (${ctx.apiVersion})`,
      );
    }
    const metadata = isJsonObject(body.metadata) ? { ...body.metadata } : {};
    if (ctx.type.namespaced) {
      if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== ctx.namespace) {
        throw ApiError.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = ctx.namespace;
    } else {
      delete metadata.namespace;
    }
    if (urlName !== undefined) {
      if (metadata.name !== undefined && metadata.name !== urlName) {
        throw ApiError.badRequest(
          `the name of the object (${String(metadata.name)}) does not match the name on the URL (${urlName})`,
        );
      }
      metadata.name = urlName;
    }
    return { ...body, apiVersion: ctx.apiVersion, kind: ctx.type.kind, metadata } as KubeObject;
  }

  // The apiserver decodes the body as the kind it names, then fails to convert it to the resource's kind.
  private wrongKind(ctx: ResourceContext, kind: string, apiVersion: string): ApiError {
    if (ctx.type.custom)
      return ApiError.badRequest(`the kind in the data (${kind}) does not match the expected kind (${ctx.type.kind})`);
    const version = apiVersion.split('/').pop()!;
    const known = this.registry.all().some((t) => !t.custom && t.kind === kind && apiVersionOf(t) === apiVersion);
    const reason = known
      ? `converting (${version}.${kind}) to (${internalPackage(ctx.type.group)}.${ctx.type.kind}): unknown conversion`
      : `no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`;
    return ApiError.badRequest(`${kind} in version "${version}" cannot be handled as a ${ctx.type.kind}: ${reason}`);
  }
}

// The Go package of a group's internal types, as conversion errors name it.
function internalPackage(group: string): string {
  return group === '' || group === 'events.k8s.io' ? 'core' : group.split('.')[0];
}

function present(ctx: ResourceContext, stored: KubeObject): KubeObject {
  const obj = fromStorage(ctx, stored);
  return ctx.info.subresource === 'scale' ? toScale(ctx.type, obj) : obj;
}

// Upstream's answer for a resource without patch strategies (custom resources), whatever the unsupported type.
function withoutStrategicMerge(): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  );
}

function stripTimes(o: KubeObject): unknown {
  return (o.metadata.managedFields ?? []).map((m) => ({ ...m, time: undefined }));
}

/** A patch that carries metadata.uid or metadata.resourceVersion makes them preconditions, as upstream. */
function checkPatchPreconditions(ctx: ResourceContext, name: string, current: KubeObject, patched: JsonObject): void {
  const meta = isJsonObject(patched.metadata) ? patched.metadata : {};
  if (typeof meta.uid === 'string' && meta.uid !== '' && meta.uid !== current.metadata.uid) {
    throw ApiError.conflict(
      subjectOf(ctx, name),
      `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }
  if (
    typeof meta.resourceVersion === 'string' &&
    meta.resourceVersion !== '' &&
    meta.resourceVersion !== current.metadata.resourceVersion
  ) {
    throw ApiError.conflict(
      subjectOf(ctx, name),
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
}
