import { DynamicModule, Module } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { ClusterIpAllocator } from './cluster-ip-allocator.service';
import { clusterIpHandlerFor } from './cluster-ip.handler';
import { ClusterIpRepository, TypeOrmClusterIpRepository } from './cluster-ip.repository';
import { ServiceCidr } from './service-cidr';

/** Service ClusterIPs from the service CIDR over NATS; global so the repair controller reaches the table. */
@Module({})
export class ClusterIpsModule {
  static forRoot(config: NetworkSvcConfig): DynamicModule {
    return {
      module: ClusterIpsModule,
      global: true,
      controllers: [clusterIpHandlerFor(config.natsPrefix)],
      providers: [
        { provide: ServiceCidr, useValue: new ServiceCidr(config.serviceCidr) },
        { provide: ClusterIpRepository, useClass: TypeOrmClusterIpRepository },
        ClusterIpAllocator,
      ],
      exports: [ServiceCidr, ClusterIpRepository],
    };
  }
}
