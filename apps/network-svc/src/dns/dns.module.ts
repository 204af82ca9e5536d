import { Logger, Module } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { ENDPOINT_SLICES, SERVICES, SharedInformers } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import type { EndpointSlice, Service } from '@skiff/kube-types';
import { NetworkControllersModule } from '../controllers/network-controllers.module';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { ClusterDnsCache } from './cluster-dns-cache';
import { ClusterDnsService, DNS_INFORMERS, DNS_UPSTREAMS } from './cluster-dns.service';
import { DnsReplicaLeaseService } from './dns-replica-lease.service';
import { DnsResponder, ZoneSource } from './dns-responder';
import { DnsServer } from './dns-server';
import { HostResolvers } from './host-resolvers';
import { UpstreamForwarder } from './upstream-forwarder';

/** The cluster DNS server (docs/networking.md "Cluster DNS"), on the API client of network-svc's controllers. */
@Module({
  imports: [NetworkControllersModule],
  providers: [
    HostResolvers,
    // Its own informers, not the leader's: every replica answers.
    { provide: DNS_INFORMERS, inject: [KubeClient], useFactory: (client: KubeClient) => new SharedInformers(client) },
    {
      provide: ZoneSource,
      inject: [NETWORK_SVC_CONFIG, DNS_INFORMERS],
      useFactory: (config: NetworkSvcConfig, informers: SharedInformers) =>
        new ClusterDnsCache(
          config.dns.clusterDomain,
          informers.get<Service>(SERVICES),
          informers.get<EndpointSlice>(ENDPOINT_SLICES),
        ),
    },
    {
      provide: DNS_UPSTREAMS,
      inject: [NETWORK_SVC_CONFIG, HostResolvers],
      useFactory: (config: NetworkSvcConfig, host: HostResolvers) =>
        config.dns.forward ? new UpstreamForwarder(config.dns.upstreams ?? host.read()) : null,
    },
    {
      provide: DnsResponder,
      inject: [ZoneSource, DNS_UPSTREAMS],
      useFactory: (zones: ZoneSource, upstream: UpstreamForwarder | null) =>
        new DnsResponder(zones, upstream ?? undefined),
    },
    {
      provide: DnsServer,
      inject: [DnsResponder],
      useFactory: (responder: DnsResponder) => new DnsServer(responder, new Logger('cluster-dns')),
    },
    ClusterDnsService,
    DnsReplicaLeaseService,
  ],
})
export class DnsModule {}
