import { DynamicModule, Module } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { ClusterIpsModule } from './cluster-ips/cluster-ips.module';
import { NetworkControllersModule } from './controllers/network-controllers.module';
import { DnsModule } from './dns/dns.module';
import { IpamModule, IpamModuleOptions } from './ipam/ipam.module';
import { PlatformModule } from './platform/platform.module';

export interface AppModuleOptions extends IpamModuleOptions {
  /** Without the API-backed controllers and the cluster DNS (IPAM tests that run no API server). */
  withoutControllers?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: NetworkSvcConfig, opts: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(config),
        IpamModule.forRoot(config, opts),
        ClusterIpsModule.forRoot(config),
        ...(opts.withoutControllers ? [] : [NetworkControllersModule, DnsModule]),
      ],
    };
  }
}
