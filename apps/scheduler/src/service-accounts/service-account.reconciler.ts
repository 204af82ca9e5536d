import { Injectable } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { Controller, ControllerContext, Informer, NAMESPACES, SERVICE_ACCOUNTS } from '@skiff/controller-runtime';
import { isAlreadyExists } from '@skiff/kube-client';

const DEFAULT = 'default';

/**
 * kube-controller-manager's serviceaccount-controller: every active namespace has a `default` ServiceAccount, made
 * again if deleted. Keys are namespace names.
 */
@Injectable()
export class ServiceAccountReconciler implements Controller {
  readonly name = 'serviceaccount-controller';
  readonly workers = 2;
  private namespaces!: Informer;
  private serviceAccounts!: Informer;

  begin(ctx: ControllerContext): void {
    this.namespaces = ctx.informers.get(NAMESPACES);
    this.serviceAccounts = ctx.informers.get(SERVICE_ACCOUNTS);
    for (const e of ['add', 'update'] as const) this.namespaces.on(e, (ns) => ctx.enqueue(ns.metadata.name!));
    this.serviceAccounts.on('delete', (sa) => {
      if (sa.metadata.name === DEFAULT) ctx.enqueue(sa.metadata.namespace!);
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const ns = this.namespaces.get(undefined, key);
    if (!ns || ns.metadata.deletionTimestamp || phaseOf(ns) === 'Terminating') return;
    if (this.serviceAccounts.get(key, DEFAULT)) return;
    try {
      await ctx.client
        .resource(SERVICE_ACCOUNTS)
        .create(key, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT, namespace: key } });
    } catch (err) {
      // Already there (the cache lags), or the namespace began terminating meanwhile: nothing to do.
      if (isAlreadyExists(err) || isNamespaceTerminating(err)) return;
      throw err;
    }
  }
}

function phaseOf(ns: KubeObject): string | undefined {
  return (ns.status as { phase?: string } | undefined)?.phase;
}

/** The API's refusal of new content in a terminating namespace (upstream's NamespaceTerminatingCause). */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof Error && /because it is being terminated/.test(err.message);
}
