import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { LogSvcConfig } from '@skiff/config';
import { LEASES, renewReplicaLease, replicaLease } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { LOG_QUERY_LEASE_PREFIX } from '@skiff/messaging';
import { Lease } from '@skiff/kube-types';
import { LOG_SVC_CONFIG } from '../platform/config.provider';

const RENEW_MS = 10_000;

/** Renews this replica's `LOG_QUERY_LEASE_PREFIX` Lease (every 10 s, for 30 s), deleted when it stops. */
@Injectable()
export class QueryEndpointLeaseService implements OnApplicationShutdown {
  private readonly log = new Logger('query-endpoint');
  private timer?: NodeJS.Timeout;
  private address?: string;
  private lastError = '';

  constructor(
    @Inject(LOG_SVC_CONFIG) private readonly config: LogSvcConfig,
    private readonly client: KubeClient,
    private readonly clock: Clock,
  ) {}

  /** Starts renewing the Lease once the endpoint listens (the port may have been chosen by the system). */
  advertise(address: string): void {
    this.address = address;
    void this.renew();
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (!this.address) return;
    await this.client
      .resource<Lease>(LEASES)
      .delete('kube-system', this.lease(this.address).metadata.name!)
      .catch(() => undefined);
  }

  private lease(address: string): Lease {
    return replicaLease(LOG_QUERY_LEASE_PREFIX, this.config.identity, address, this.clock.now());
  }

  private async renew(): Promise<void> {
    try {
      await renewReplicaLease(this.client, this.lease(this.address!));
      this.lastError = '';
    } catch (err) {
      const message = errorMessage(err);
      if (message !== this.lastError) this.log.warn(`renewing the query endpoint's lease: ${message}`);
      this.lastError = message;
    }
  }
}
