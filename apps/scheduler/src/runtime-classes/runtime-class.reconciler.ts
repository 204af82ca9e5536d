import { Injectable } from '@nestjs/common';
import { Controller, ControllerContext, Informer, RUNTIME_CLASSES } from '@skiff/controller-runtime';
import { isAlreadyExists } from '@skiff/kube-client';
import type { RuntimeClass } from '@skiff/kube-types';
import { runtimeClassObjects } from './runtime-classes';

const KEY = 'runtimeclasses';

/**
 * Keeps the runtime handlers' RuntimeClasses (runc, gvisor) in the API, as an addon manager's
 * EnsureExists would: created when the term starts, and again when one is deleted. Placement
 * knows the handlers without them; they are for users (`kubectl get runtimeclass`).
 */
@Injectable()
export class RuntimeClassReconciler implements Controller {
  readonly name = 'runtime-classes';
  readonly workers = 1;
  private informer!: Informer<RuntimeClass>;

  begin(ctx: ControllerContext): void {
    this.informer = ctx.informers.get<RuntimeClass>(RUNTIME_CLASSES);
    this.informer.on('delete', () => ctx.enqueue(KEY));
    ctx.enqueue(KEY);
  }

  async reconcile(ctx: ControllerContext): Promise<void> {
    const client = ctx.client.resource<RuntimeClass>(RUNTIME_CLASSES);
    for (const obj of runtimeClassObjects().filter((o) => !this.informer.get(undefined, o.metadata.name!))) {
      try {
        await client.create(undefined, obj, { fieldManager: 'skiff-scheduler' });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }
}
