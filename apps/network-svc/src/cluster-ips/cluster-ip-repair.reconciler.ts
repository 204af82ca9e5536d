import { Injectable } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { Controller, ControllerContext, Informer, ReconcileResult, SERVICES } from '@skiff/controller-runtime';
import { Service } from '@skiff/kube-types';
import { ClusterIpRepository } from './cluster-ip.repository';
import { ServiceCidr } from './service-cidr';

const REPAIR_KEY = 'repair';
const REPAIR_INTERVAL_MS = 60_000;
// A Service is written a moment after its address is taken: younger rows are not judged yet.
const GRACE_MS = 60_000;

/**
 * Upstream's ClusterIP repair loop: frees addresses held for Services that are gone (the API
 * server could not give them back) and records addresses Services hold without a row (Services
 * made before the allocator, a restored database). Runs every minute on the leader.
 */
@Injectable()
export class ClusterIpRepairReconciler implements Controller {
  readonly name = 'cluster-ip-repair';
  readonly workers = 1;
  private services!: Informer<Service>;

  constructor(
    private readonly repo: ClusterIpRepository,
    private readonly range: ServiceCidr,
    private readonly clock: Clock,
  ) {}

  begin(ctx: ControllerContext): void {
    this.services = ctx.informers.get<Service>(SERVICES);
    ctx.enqueue(REPAIR_KEY);
  }

  async reconcile(): Promise<ReconcileResult> {
    await this.repair(this.services.list());
    return { requeueAfterMs: REPAIR_INTERVAL_MS };
  }

  /** One pass over the table against the Services the API has. */
  async repair(services: readonly Service[]): Promise<void> {
    const byUid = new Map(services.map((s) => [s.metadata.uid, s]));
    const rows = await this.repo.listAll();
    const cutoff = this.clock.nowMs() - GRACE_MS;
    for (const row of rows) {
      if (row.allocatedAt.getTime() >= cutoff) continue;
      if (byUid.get(row.serviceUid)?.spec?.clusterIP !== row.ip) await this.repo.releaseByServiceUid(row.serviceUid);
    }
    const recorded = new Set(rows.map((r) => r.serviceUid));
    for (const svc of services) {
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === 'None' || recorded.has(svc.metadata.uid!) || !this.range.isAssignable(ip)) continue;
      const row = { ip, serviceUid: svc.metadata.uid!, namespace: svc.metadata.namespace!, name: svc.metadata.name! };
      await this.repo.insert(row, this.clock.now());
    }
  }
}
