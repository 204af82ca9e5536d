import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ApiError, KubeObject, errorMessage } from '@skiff/api-machinery';
import { ResourceRegistry } from '@skiff/api-server';
import type { ClusterRole, ClusterRoleBinding } from '@skiff/kube-types';
import { DeletionService } from '../kube-api/deletion.service';
import { systemContext } from '../kube-api/resource-context';
import { ResourceWriterService } from '../kube-api/resource-writer.service';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy';
import { Reconciled, reconcileClusterRole, reconcileClusterRoleBinding } from './policy-reconciliation';
import { RBAC_GROUP } from './rbac-policy.cache';

const SYSTEM_MANAGER = 'skiff-api-gateway';
const ATTEMPTS = 5;

/**
 * kube-apiserver's rbac/bootstrap-roles post-start hook: at every start the default ClusterRoles and
 * ClusterRoleBindings are created when missing and reconciled when present (several gateways
 * starting at once retry on conflicts).
 */
@Injectable()
export class RbacBootstrapService implements OnApplicationBootstrap {
  private readonly log = new Logger(RbacBootstrapService.name);

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStoreRepository,
    private readonly writer: ResourceWriterService,
    private readonly deletion: DeletionService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const role of BOOTSTRAP_CLUSTER_ROLES)
      await this.ensure('clusterroles', role, (existing) => reconcileClusterRole(role, existing as ClusterRole));
    for (const binding of BOOTSTRAP_CLUSTER_ROLE_BINDINGS)
      await this.ensure('clusterrolebindings', binding, (existing) =>
        reconcileClusterRoleBinding(binding, existing as ClusterRoleBinding),
      );
  }

  private async ensure(
    resource: string,
    expected: KubeObject,
    reconcile: (existing: KubeObject) => Reconciled<KubeObject>,
  ): Promise<void> {
    const ctx = systemContext(this.registry, RBAC_GROUP, resource);
    const name = expected.metadata.name!;
    const opts = { dryRun: false, fieldManager: SYSTEM_MANAGER, fieldValidation: 'Ignore' as const };
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = await this.store.get({ group: RBAC_GROUP, resource, namespace: '', name });
        if (!existing) {
          await this.writer.create(ctx, expected, opts);
          this.log.log(`created ${resource} ${name}`);
          return;
        }
        const out = reconcile(existing);
        if (out.op === 'none') return;
        if (out.op === 'recreate') {
          await this.deletion.delete(ctx, name, { dryRun: false, preconditions: { uid: existing.metadata.uid } });
          await this.writer.create(ctx, out.object, opts);
        } else {
          await this.writer.update(ctx, name, out.object, opts);
        }
        this.log.log(`reconciled ${resource} ${name}`);
        return;
      } catch (err) {
        const retry = err instanceof ApiError && [404, 409].includes(err.code) && attempt < ATTEMPTS;
        if (!retry) {
          this.log.error(`could not reconcile ${resource} ${name}: ${errorMessage(err)}`);
          throw err;
        }
      }
    }
  }
}
