import { Injectable } from '@nestjs/common';
import { ApiError, Clock, isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { timestamp } from './object-meta';
import { fromStorage, keyOf, ResourceContext, subjectOf } from './resource-context';
import { ResourceStrategies } from './strategies';
import { checkDeletable } from './system-objects';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteOutcome {
  /** The object as it stands after the call: gone (`removed`) or marked for deletion. */
  object: KubeObject;
  removed: boolean;
}

/** Parses DeleteOptions from the body and query (the query wins, as kubectl sends both ways). */
export function deleteOptionsOf(body: unknown, query: URLSearchParams): DeleteOptions {
  const b: JsonObject = isJsonObject(body) ? body : {};
  const grace =
    query.get('gracePeriodSeconds') ?? (typeof b.gracePeriodSeconds === 'number' ? String(b.gracePeriodSeconds) : null);
  const policy =
    query.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : null);
  if (policy !== null && policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
    throw ApiError.invalid('', 'DeleteOptions', '', [
      {
        reason: 'FieldValueNotSupported',
        field: 'propagationPolicy',
        message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      },
    ]);
  }
  if (grace !== null && !/^-?\d+$/.test(grace)) throw ApiError.badRequest(`invalid gracePeriodSeconds: ${grace}`);
  const pre = isJsonObject(b.preconditions) ? b.preconditions : {};
  const dryRun = query.getAll('dryRun').includes('All') || (Array.isArray(b.dryRun) && b.dryRun.includes('All'));
  return {
    dryRun,
    gracePeriodSeconds: grace === null ? undefined : Number(grace),
    propagationPolicy: (policy ?? undefined) as PropagationPolicy | undefined,
    preconditions: {
      uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
    },
  };
}

/**
 * Deletion semantics: preconditions, finalizers and deletionTimestamp. What differs per resource
 * (graceful pod deletion, namespace termination with contents removed by NamespaceLifecycleService,
 * CRD cleanup) is the resource's strategy.
 */
@Injectable()
export class DeletionService {
  private namespaceTerminatingHook?: (name: string) => void;

  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly clock: Clock,
    private readonly strategies: ResourceStrategies,
  ) {}

  onNamespaceTerminating(hook: (name: string) => void): void {
    this.namespaceTerminatingHook = hook;
  }

  async delete(ctx: ResourceContext, name: string, opts: DeleteOptions): Promise<DeleteOutcome> {
    checkDeletable(ctx, name);
    const key = keyOf(ctx, name);
    const strategy = this.strategies.for(ctx.type);
    const decide = (current: KubeObject | undefined): { op: 'delete' | 'update' | 'none'; object: KubeObject } => {
      if (!current) throw ApiError.notFound(subjectOf(ctx, name));
      const pre = opts.preconditions ?? {};
      if (pre.uid && pre.uid !== current.metadata.uid) {
        throw ApiError.conflict(
          subjectOf(ctx, name),
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
      if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw ApiError.conflict(
          subjectOf(ctx, name),
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${current.metadata.resourceVersion}`,
        );
      }
      const finalizers = strategy.finalizersOnDelete([...(current.metadata.finalizers ?? [])], opts.propagationPolicy);
      const graceful = strategy.gracePeriod(current, opts.gracePeriodSeconds);
      if (finalizers.length === 0 && !strategy.deletesContents && graceful === undefined)
        return { op: 'delete', object: current };
      if (current.metadata.deletionTimestamp && sameList(finalizers, current.metadata.finalizers)) {
        return { op: 'none', object: current };
      }
      const marked = strategy.markedForDeletion({
        ...current,
        metadata: {
          ...current.metadata,
          deletionTimestamp:
            current.metadata.deletionTimestamp ??
            timestamp(new Date(this.clock.now().getTime() + (graceful ?? 0) * 1000)),
          deletionGracePeriodSeconds: graceful ?? 0,
          ...(finalizers.length > 0 ? { finalizers } : {}),
        },
      });
      return { op: 'update', object: marked };
    };
    if (opts.dryRun) {
      const d = decide(await this.store.get(key));
      return { object: fromStorage(ctx, d.object), removed: d.op === 'delete' };
    }
    const res = await this.store.write(key, decide);
    const object = fromStorage(ctx, res.object!);
    if (res.op === 'delete') await strategy.release(object);
    if (strategy.deletesContents && res.op !== 'delete') this.namespaceTerminatingHook?.(name);
    return { object, removed: res.op === 'delete' };
  }
}

function sameList(a: string[], b: string[] | undefined): boolean {
  return a.length === (b ?? []).length && a.every((x, i) => x === (b ?? [])[i]);
}
