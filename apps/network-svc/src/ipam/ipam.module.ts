import { DynamicModule, Module, Provider } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import { VSwitchRange } from './cidr';
import { EniAllocationRepository, TypeOrmEniAllocationRepository } from './eni-allocation.repository';
import { EniAllocator } from './eni-allocator.service';
import { EniGarbageCollector } from './eni-garbage-collector.service';
import { ipamHandlerFor } from './ipam.handler';
import { KubePodLookup, PodLookup } from './pod-lookup';

export interface IpamModuleOptions {
  /** Replaces the API-backed lookup (tests without an API server). */
  podLookup?: PodLookup;
}

/** ENI/IPAM: pod addresses on the VSwitch over NATS, and the collector of leaked ones. */
@Module({})
export class IpamModule {
  static forRoot(config: NetworkSvcConfig, opts: IpamModuleOptions = {}): DynamicModule {
    const podLookup: Provider = opts.podLookup
      ? { provide: PodLookup, useValue: opts.podLookup }
      : // Built only here so a missing token file stops boot with the variable's name.
        { provide: PodLookup, useFactory: () => new KubePodLookup(KubeClient.fromEnv('network-svc')) };
    return {
      module: IpamModule,
      controllers: [ipamHandlerFor(config.natsPrefix)],
      providers: [
        { provide: VSwitchRange, useValue: new VSwitchRange(config.vswitchCidr) },
        { provide: EniAllocationRepository, useClass: TypeOrmEniAllocationRepository },
        EniAllocator,
        podLookup,
        EniGarbageCollector,
      ],
    };
  }
}
