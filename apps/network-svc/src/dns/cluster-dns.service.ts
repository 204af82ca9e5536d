import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { NetworkSvcConfig } from '@skiff/config';
import { SharedInformers } from '@skiff/controller-runtime';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { DnsServer } from './dns-server';
import { ResolverAddress } from './host-resolvers';
import { UpstreamForwarder } from './upstream-forwarder';

export const DNS_INFORMERS = Symbol('DNS_INFORMERS');
export const DNS_UPSTREAMS = Symbol('DNS_UPSTREAMS');
const BIND_RETRY_MS = 5000;

/**
 * Runs the cluster DNS on every replica (not only the leader): its own informers over Services and
 * EndpointSlices, and the UDP/TCP server. An address that cannot be bound (another stack holds the
 * port) is logged and tried again, so IPAM and the controllers of this replica keep working.
 */
@Injectable()
export class ClusterDnsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('cluster-dns');
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(NETWORK_SVC_CONFIG) private readonly config: NetworkSvcConfig,
    @Inject(DNS_INFORMERS) private readonly informers: SharedInformers,
    @Inject(DNS_UPSTREAMS) private readonly forwarder: UpstreamForwarder | null,
    private readonly server: DnsServer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.informers.start();
    await this.bind();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.server.close();
    this.forwarder?.close();
    await this.informers.stop();
  }

  private async bind(): Promise<void> {
    const { listenHost, listenPort, clusterDomain, forward, upstreams } = this.config.dns;
    const where = listenHost.includes(':') ? `[${listenHost}]:${listenPort}` : `${listenHost}:${listenPort}`;
    try {
      await this.server.listen(listenHost, listenPort);
    } catch (err) {
      if (this.stopped) return;
      this.logger.error(
        `cannot serve cluster DNS on ${where} (SKIFF_DNS_LISTEN): ${errorMessage(err)}; trying again in ${BIND_RETRY_MS / 1000} s`,
      );
      this.retry = setTimeout(() => void this.bind(), BIND_RETRY_MS);
      return;
    }
    const others = forward ? `forwarded to ${describe(this.forwarderTargets(upstreams))}` : 'REFUSED';
    this.logger.log(`serving cluster DNS for ${clusterDomain} on ${where} (UDP and TCP); other names: ${others}`);
  }

  private forwarderTargets(configured?: ResolverAddress[]): ResolverAddress[] {
    return configured ?? this.forwarder?.targets() ?? [];
  }
}

function describe(list: ResolverAddress[]): string {
  return (
    list.map((u) => (u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`)).join(', ') || 'nothing'
  );
}
