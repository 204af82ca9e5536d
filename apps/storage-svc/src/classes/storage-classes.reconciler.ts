import { Injectable } from '@nestjs/common';
import { Controller, ControllerContext, Informer, STORAGE_CLASSES } from '@skiff/controller-runtime';
import { ignoreAlreadyExists } from '@skiff/kube-client';
import { StorageClass } from '@skiff/kube-types';
import { BUILT_IN_STORAGE_CLASSES } from './built-in-storage-classes';

const KEY = 'built-in';

/**
 * Installs ASK's StorageClasses when a term begins and they are missing (as an addon manager's EnsureExists):
 * a class a user changed is left as it is, one a user deleted comes back with the next leader.
 */
@Injectable()
export class StorageClassesReconciler implements Controller {
  readonly name = 'storage-classes';
  readonly workers = 1;
  private classes!: Informer<StorageClass>;

  begin(ctx: ControllerContext): void {
    this.classes = ctx.informers.get<StorageClass>(STORAGE_CLASSES);
    ctx.enqueue(KEY);
  }

  async reconcile(ctx: ControllerContext): Promise<void> {
    const api = ctx.client.resource<StorageClass>(STORAGE_CLASSES);
    for (const c of BUILT_IN_STORAGE_CLASSES)
      if (!this.classes.get(undefined, c.metadata.name!)) await api.create(undefined, c).catch(ignoreAlreadyExists);
  }
}
