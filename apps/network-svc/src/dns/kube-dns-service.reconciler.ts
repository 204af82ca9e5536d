import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { NetworkSvcConfig } from '@skiff/config';
import {
  Controller,
  ControllerContext,
  ENDPOINTS,
  Informer,
  LEASES,
  liveReplicaAddresses,
  ReconcileResult,
  SERVICES,
} from '@skiff/controller-runtime';
import { ignoreAlreadyExists } from '@skiff/kube-client';
import { Endpoints, Lease, Service } from '@skiff/kube-types';
import { isDeepStrictEqual } from 'node:util';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { DNS_LEASE_PREFIX } from './dns-replica-lease.service';

const KEY = 'kube-system/kube-dns';
const RESYNC_MS = 10_000;

/**
 * The cluster DNS' Service, as a kube-dns Service would be: kube-system/kube-dns at SKIFF_CLUSTER_DNS
 * (10.96.0.10) with ports dns (UDP) and dns-tcp (TCP), and Endpoints listing the DNS replicas whose
 * Lease is fresh. Both come back if deleted; looked at again every 10 s (a Lease expiring is an event of time).
 */
@Injectable()
export class KubeDnsServiceReconciler implements Controller {
  readonly name = 'kube-dns-service';
  readonly workers = 1;
  private services!: Informer<Service>;
  private endpoints!: Informer<Endpoints>;
  private leases!: Informer<Lease>;

  constructor(
    @Inject(NETWORK_SVC_CONFIG) private readonly config: NetworkSvcConfig,
    private readonly clock: Clock,
  ) {}

  begin(ctx: ControllerContext): void {
    this.services = ctx.informers.get<Service>(SERVICES);
    this.endpoints = ctx.informers.get<Endpoints>(ENDPOINTS);
    this.leases = ctx.informers.get<Lease>(LEASES);
    const mine = (o: Service | Endpoints) => o.metadata.namespace === 'kube-system' && o.metadata.name === 'kube-dns';
    for (const e of ['add', 'update', 'delete'] as const) {
      this.services.on(e, (s) => mine(s) && ctx.enqueue(KEY));
      this.endpoints.on(e, (x) => mine(x) && ctx.enqueue(KEY));
      this.leases.on(e, (l) => l.metadata.name?.startsWith(DNS_LEASE_PREFIX) && ctx.enqueue(KEY));
    }
    ctx.enqueue(KEY);
  }

  async reconcile(ctx: ControllerContext): Promise<ReconcileResult> {
    const { dns } = this.config;
    if (!this.services.get('kube-system', 'kube-dns')) {
      await ctx.client
        .resource<Service>(SERVICES)
        .create('kube-system', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'kube-dns',
            namespace: 'kube-system',
            labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          },
          spec: {
            clusterIP: dns.serviceIp,
            ports: [
              { name: 'dns', port: 53, protocol: 'UDP', targetPort: dns.listenPort },
              { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: dns.listenPort },
            ],
          },
        })
        .catch(ignoreAlreadyExists);
    }
    const addresses = liveReplicaAddresses(this.leases.list(), DNS_LEASE_PREFIX, this.clock.nowMs());
    const subsets = addresses.length
      ? [
          {
            addresses: addresses.map((ip) => ({ ip })),
            ports: [
              { name: 'dns', port: dns.listenPort, protocol: 'UDP' as const },
              { name: 'dns-tcp', port: dns.listenPort, protocol: 'TCP' as const },
            ],
          },
        ]
      : undefined;
    const api = ctx.client.resource<Endpoints>(ENDPOINTS);
    const current = this.endpoints.get('kube-system', 'kube-dns');
    if (!current) {
      const eps: Endpoints = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'kube-dns', namespace: 'kube-system' },
      };
      await api.create('kube-system', subsets ? { ...eps, subsets } : eps).catch(ignoreAlreadyExists);
    } else if (!isDeepStrictEqual(current.subsets ?? undefined, subsets)) {
      const { subsets: _old, ...rest } = current;
      await api.update('kube-system', subsets ? { ...rest, subsets } : rest);
    }
    return { requeueAfterMs: RESYNC_MS };
  }
}
