import { Injectable } from '@nestjs/common';
import { ApiError, KubeObject } from '@skiff/api-machinery';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { encodeContinue, ListOptions, matchesListOptions } from './list-options';
import { fromStorage, keyOf, ResourceContext, subjectOf } from './resource-context';
import { toScale } from './scale';

export interface ListOutcome {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

@Injectable()
export class ResourceReaderService {
  constructor(private readonly store: ObjectStoreRepository) {}

  async get(ctx: ResourceContext, name: string): Promise<KubeObject> {
    const obj = await this.store.get(keyOf(ctx, name));
    if (!obj) throw ApiError.notFound(subjectOf(ctx, name));
    const served = fromStorage(ctx, obj);
    return ctx.info.subresource === 'scale' ? toScale(ctx.type, served) : served;
  }

  async list(ctx: ResourceContext, opts: ListOptions): Promise<ListOutcome> {
    const namespace =
      ctx.type.namespaced && ctx.namespace !== '' ? ctx.namespace : ctx.type.namespaced ? undefined : '';
    const filtered = opts.labelSelector !== undefined || opts.fieldSelector !== undefined;
    // Without selectors the store pages; with them, filter first and page what matches.
    const page = await this.store.list({
      group: ctx.type.group,
      resource: ctx.type.resource,
      namespace,
      name: opts.name,
      after: opts.continueToken,
      limit: filtered ? undefined : opts.limit,
    });
    let items = (filtered ? page.items.filter((o) => matchesListOptions(opts, o)) : page.items).map((o) =>
      fromStorage(ctx, o),
    );
    let more = page.more;
    if (filtered && opts.limit !== undefined && items.length > opts.limit) {
      items = items.slice(0, opts.limit);
      more = true;
    }
    const rv = opts.continueToken?.rv ?? page.resourceVersion;
    const last = items[items.length - 1];
    return {
      items,
      resourceVersion: String(rv),
      continue:
        more && last
          ? encodeContinue({ rv, namespace: last.metadata.namespace ?? '', name: last.metadata.name ?? '' })
          : undefined,
    };
  }
}
