import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApiError, Clock, errorMessage, KubeObject } from '@skiff/api-machinery';
import { liveReplicaAddresses, replicaLease } from '@skiff/controller-runtime';
import { apiVersionOf, ResourceRegistry } from '@skiff/api-server';
import { ApiGatewayConfig, firstHostOf } from '@skiff/config';
import { isDeepStrictEqual } from 'node:util';
import { ResourceContext } from '../kube-api/resource-context';
import { ResourceWriterService } from '../kube-api/resource-writer.service';
import { DeletionService } from '../kube-api/deletion.service';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { ObjectStoreRepository } from '../storage/object-store.repository';

const MANAGER = 'skiff-api-gateway';
const RESYNC_MS = 10_000;
const LEASE_PREFIX = 'skiff-apiserver-';

/**
 * Upstream's master endpoint reconciler (lease reconciler): each API server replica renews a Lease
 * with its address; `default/kubernetes` (the first address of the service CIDR, port 443 named
 * https) lists the replicas whose Lease is fresh. The Service and its Endpoints come back if deleted.
 */
@Injectable()
export class MasterServiceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(MasterServiceService.name);
  private timer?: NodeJS.Timeout;
  private lastError = '';

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStoreRepository,
    private readonly writer: ResourceWriterService,
    private readonly deletion: DeletionService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    void this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), RESYNC_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // A replica going away takes itself out at once, as upstream's RemoveEndpoints on shutdown.
    await this.deletion
      .delete(this.context('coordination.k8s.io', 'leases', 'kube-system'), this.leaseName(), { dryRun: false })
      .catch(() => undefined);
    await this.syncEndpoints().catch(() => undefined);
  }

  async reconcile(): Promise<void> {
    try {
      await this.renewLease();
      await this.ensureService();
      await this.syncEndpoints();
      this.lastError = '';
    } catch (err) {
      // network-svc may not be up yet (the ClusterIP): said once per kind of failure, tried again later.
      const message = errorMessage(err);
      if (message !== this.lastError) this.log.warn(`default/kubernetes: ${message}`);
      this.lastError = message;
    }
  }

  private lease(): KubeObject {
    const lease = replicaLease(LEASE_PREFIX, this.config.identity, this.config.advertiseAddress, this.clock.now());
    return {
      ...lease,
      metadata: { ...lease.metadata, labels: { 'apiserver.kubernetes.io/identity': 'kube-apiserver' } },
    };
  }

  private leaseName(): string {
    return this.lease().metadata.name!;
  }

  private async renewLease(): Promise<void> {
    const ctx = this.context('coordination.k8s.io', 'leases', 'kube-system');
    const lease = this.lease();
    const name = lease.metadata.name!;
    const current = await this.store.get({
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kube-system',
      name,
    });
    if (!current) return this.create(ctx, lease);
    const renewed = { ...lease, metadata: { ...lease.metadata, resourceVersion: current.metadata.resourceVersion } };
    await this.writer.update(ctx, name, renewed, this.options());
  }

  private async ensureService(): Promise<void> {
    const ctx = this.context('', 'services', 'default');
    await this.create(ctx, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: firstHostOf(this.config.serviceCidr),
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: this.config.port }],
        sessionAffinity: 'None',
      },
    });
  }

  private async syncEndpoints(): Promise<void> {
    const ctx = this.context('', 'endpoints', 'default');
    const { items } = await this.store.list({
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kube-system',
    });
    const addresses = liveReplicaAddresses(items, LEASE_PREFIX, this.clock.nowMs());
    const subsets = addresses.length
      ? [
          {
            addresses: addresses.map((ip) => ({ ip })),
            ports: [{ name: 'https', port: this.config.port, protocol: 'TCP' }],
          },
        ]
      : undefined;
    const current = await this.store.get({
      group: '',
      resource: 'endpoints',
      namespace: 'default',
      name: 'kubernetes',
    });
    if (!current) {
      await this.create(ctx, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'kubernetes', namespace: 'default' },
        ...(subsets ? { subsets } : {}),
      });
      return;
    }
    if (isDeepStrictEqual(current.subsets ?? undefined, subsets)) return;
    const { subsets: _old, ...rest } = current;
    await this.writer.update(ctx, 'kubernetes', { ...rest, ...(subsets ? { subsets } : {}) }, this.options());
  }

  private async create(ctx: ResourceContext, obj: KubeObject): Promise<void> {
    try {
      await this.writer.create(ctx, obj, this.options());
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  private options() {
    return { dryRun: false, fieldManager: MANAGER, fieldValidation: 'Ignore' as const };
  }

  private context(group: string, resource: string, namespace: string): ResourceContext {
    const type = this.registry.all().find((t) => t.group === group && t.resource === resource && !t.storageVersion);
    if (!type) throw new Error(`unknown stored resource ${group}/${resource}`);
    return {
      info: { verb: 'update', group, version: type.version, resource, namespace },
      type,
      apiVersion: apiVersionOf(type),
      namespace,
    };
  }
}
