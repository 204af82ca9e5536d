import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { NetworkSvcConfig } from '@skiff/config';
import { LEASES, renewReplicaLease, replicaLease } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { Lease } from '@skiff/kube-types';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';

export const DNS_LEASE_PREFIX = 'skiff-dns-';
const RENEW_MS = 10_000;

/** Every DNS replica renews `kube-system/skiff-dns-<identity>` with its address; kube-dns' Endpoints list the fresh ones. */
@Injectable()
export class DnsReplicaLeaseService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('cluster-dns');
  private timer?: NodeJS.Timeout;
  private lastError = '';

  constructor(
    @Inject(NETWORK_SVC_CONFIG) private readonly config: NetworkSvcConfig,
    private readonly client: KubeClient,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    void this.renew();
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.client
      .resource<Lease>(LEASES)
      .delete('kube-system', this.lease().metadata.name!)
      .catch(() => undefined);
  }

  private lease(): Lease {
    return replicaLease(DNS_LEASE_PREFIX, this.config.identity, this.config.dns.advertiseAddress, this.clock.now());
  }

  private async renew(): Promise<void> {
    try {
      await renewReplicaLease(this.client, this.lease());
      this.lastError = '';
    } catch (err) {
      const message = errorMessage(err);
      if (message !== this.lastError) this.log.warn(`renewing the DNS replica lease: ${message}`);
      this.lastError = message;
    }
  }
}
