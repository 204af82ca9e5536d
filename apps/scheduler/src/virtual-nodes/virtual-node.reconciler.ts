import { Inject, Injectable, Logger } from '@nestjs/common';
import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { KUBE_CLIENT, SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { HostRegistryRepository } from './host-registry.repository';
import { virtualNode, virtualNodeName } from './virtual-node';

const LEASE_DURATION_S = 40;

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

/** Keeps one Node per zone registered and fresh: status from the sandbox hosts, a Lease renewed. */
@Injectable()
export class VirtualNodeReconciler {
  private readonly log = new Logger(VirtualNodeReconciler.name);
  private readonly nodes: ResourceClient;
  private readonly leases: ResourceClient;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(KUBE_CLIENT) client: KubeClient,
    private readonly hosts: HostRegistryRepository,
  ) {
    this.nodes = client.resource({ group: '', version: 'v1', resource: 'nodes', namespaced: false });
    this.leases = client.resource({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true });
  }

  async reconcileAll(): Promise<void> {
    const hosts = await this.hosts.list();
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const zone of this.config.zones) {
      await this.reconcileNode(virtualNode(zone, hosts, now));
      await this.renewLease(virtualNodeName(zone));
    }
  }

  private async reconcileNode(desired: KubeObject): Promise<void> {
    const name = desired.metadata.name!;
    let current: KubeObject;
    try {
      current = await this.nodes.get(undefined, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      current = await this.nodes.create(undefined, { ...desired, status: undefined }, { fieldManager: 'skiff-scheduler' });
      this.log.log(`registered virtual node ${name}`);
    }
    const status = desired.status as { conditions: Condition[] };
    // A condition's lastTransitionTime moves only when its status does.
    const previous = isJsonObject(current.status) && Array.isArray(current.status.conditions) ? (current.status.conditions as unknown as Condition[]) : [];
    status.conditions = status.conditions.map((c) => {
      const before = previous.find((p) => p.type === c.type);
      return before && before.status === c.status ? { ...c, lastTransitionTime: before.lastTransitionTime } : c;
    });
    await this.nodes.patchStatus(undefined, name, { metadata: { labels: desired.metadata.labels }, status }, 'merge', { fieldManager: 'skiff-scheduler' });
  }

  private async renewLease(nodeName: string): Promise<void> {
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    try {
      await this.leases.patch('kube-node-lease', nodeName, { spec: { holderIdentity: nodeName, renewTime, leaseDurationSeconds: LEASE_DURATION_S } }, 'merge', {
        fieldManager: 'skiff-scheduler',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.leases.create(
        'kube-node-lease',
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: nodeName, namespace: 'kube-node-lease' }, spec: { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_S, renewTime } },
        { fieldManager: 'skiff-scheduler' },
      );
    }
  }
}
