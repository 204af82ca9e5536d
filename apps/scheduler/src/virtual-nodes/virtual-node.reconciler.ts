import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerConfig } from '@skiff/config';
import { Controller, ControllerContext, NODES, ReconcileResult } from '@skiff/controller-runtime';
import { isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import type { Lease, Node } from '@skiff/kube-types';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { HostRegistryRepository } from './host-registry.repository';
import { virtualNode, virtualNodeName, zoneOfNode } from './virtual-node';

const LEASE_DURATION_S = 40;
// How often a node's status and Lease are refreshed (kubelet's node status update frequency is 10 s).
export const NODE_SYNC_MS = 5_000;

/**
 * Keeps one Node per zone registered and fresh: status from the sandbox hosts, a Lease renewed.
 * Keys are zones; each looks again every NODE_SYNC_MS, and at once when its Node is deleted.
 */
@Injectable()
export class VirtualNodeReconciler implements Controller {
  readonly name = 'virtual-nodes';
  readonly workers = 1;
  private readonly log = new Logger(VirtualNodeReconciler.name);
  private readonly nodes: ResourceClient<Node>;
  private readonly leases: ResourceClient<Lease>;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) client: KubeClient,
    private readonly hosts: HostRegistryRepository,
  ) {
    this.nodes = client.resource<Node>({ group: '', version: 'v1', resource: 'nodes', namespaced: false });
    this.leases = client.resource<Lease>({
      group: 'coordination.k8s.io',
      version: 'v1',
      resource: 'leases',
      namespaced: true,
    });
  }

  begin(ctx: ControllerContext): void {
    for (const zone of this.config.zones) ctx.enqueue(zone);
    ctx.informers.get<Node>(NODES).on('delete', (node) => {
      const zone = zoneOfNode(node.metadata.name ?? '', this.config.zones);
      if (zone) ctx.enqueue(zone);
    });
  }

  async reconcile(_ctx: ControllerContext, zone: string): Promise<ReconcileResult> {
    const hosts = await this.hosts.list();
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.reconcileNode(virtualNode(zone, hosts, now));
    await this.renewLease(virtualNodeName(zone));
    return { requeueAfterMs: NODE_SYNC_MS };
  }

  private async reconcileNode(desired: Node): Promise<void> {
    const name = desired.metadata.name!;
    let current: Node;
    try {
      current = await this.nodes.get(undefined, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      current = await this.nodes.create(
        undefined,
        { ...desired, status: undefined },
        { fieldManager: 'skiff-scheduler' },
      );
      this.log.log(`registered virtual node ${name}`);
    }
    // virtualNode always writes a status with conditions.
    const status = desired.status!;
    // A condition's lastTransitionTime moves only when its status does.
    const previous = current.status?.conditions ?? [];
    status.conditions = status.conditions!.map((c) => {
      const before = previous.find((p) => p.type === c.type);
      return before && before.status === c.status ? { ...c, lastTransitionTime: before.lastTransitionTime } : c;
    });
    await this.nodes.patchStatus(undefined, name, { metadata: { labels: desired.metadata.labels }, status }, 'merge', {
      fieldManager: 'skiff-scheduler',
    });
  }

  private async renewLease(nodeName: string): Promise<void> {
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    try {
      await this.leases.patch(
        'kube-node-lease',
        nodeName,
        { spec: { holderIdentity: nodeName, renewTime, leaseDurationSeconds: LEASE_DURATION_S } },
        'merge',
        {
          fieldManager: 'skiff-scheduler',
        },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.leases.create(
        'kube-node-lease',
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: nodeName, namespace: 'kube-node-lease' },
          spec: { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_S, renewTime },
        },
        { fieldManager: 'skiff-scheduler' },
      );
    }
  }
}
