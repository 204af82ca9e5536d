import { Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '@skiff/kube-types';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { WatchCacheService } from '../storage/watch-cache.service';
import { PolicySnapshot, RbacAuthorizer } from './rbac-authorizer';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_RESOURCES = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'];

/**
 * The RBAC objects every decision reads, kept in memory as upstream's authorizer keeps informer
 * caches: reloaded from the store after any change event on the four kinds (so a new binding
 * counts for the next request), the last good copy kept while the store is unreachable.
 */
@Injectable()
export class RbacPolicyCache {
  private readonly log = new Logger(RbacPolicyCache.name);
  private snapshot?: Promise<PolicySnapshot>;
  private last?: PolicySnapshot;
  private subscribed = false;

  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly watchCache: WatchCacheService,
  ) {}

  async authorizer(): Promise<RbacAuthorizer> {
    return new RbacAuthorizer(await this.current());
  }

  /** Forgets the loaded copy (a write this gateway just made must count at once, before its event arrives). */
  invalidate(): void {
    this.snapshot = undefined;
  }

  private current(): Promise<PolicySnapshot> {
    this.follow();
    // Until the watch cache follows the changes, every decision reads the store.
    if (!this.subscribed) return this.load();
    this.snapshot ??= this.load().catch((err: unknown) => {
      this.snapshot = undefined;
      throw err;
    });
    return this.snapshot;
  }

  private follow(): void {
    if (this.subscribed || !this.watchCache.isReady()) return;
    const from = this.watchCache.latestResourceVersion();
    for (const resource of RBAC_RESOURCES)
      this.watchCache.watch({ group: RBAC_GROUP, resource }, from, () => this.invalidate());
    this.subscribed = true;
    this.invalidate();
  }

  private async load(): Promise<PolicySnapshot> {
    try {
      const [roles, clusterRoles, roleBindings, clusterRoleBindings] = await Promise.all(
        RBAC_RESOURCES.map(async (resource) => (await this.store.list({ group: RBAC_GROUP, resource })).items),
      );
      const byNamespace = new Map<string, RoleBinding[]>();
      for (const b of roleBindings as RoleBinding[]) {
        const ns = b.metadata.namespace ?? '';
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), b]);
      }
      this.last = {
        roles: new Map((roles as Role[]).map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r])),
        clusterRoles: new Map((clusterRoles as ClusterRole[]).map((r) => [r.metadata.name!, r])),
        roleBindings: byNamespace,
        clusterRoleBindings: clusterRoleBindings as ClusterRoleBinding[],
      };
      return this.last;
    } catch (err) {
      if (!this.last) throw err;
      this.log.warn(`RBAC policy reload failed, deciding from the last copy: ${errorMessage(err)}`);
      return this.last;
    }
  }
}
