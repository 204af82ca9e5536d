import { DynamicModule, Module } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { IpamModule, IpamModuleOptions } from './ipam/ipam.module';
import { PlatformModule } from './platform/platform.module';

@Module({})
export class AppModule {
  static forRoot(config: NetworkSvcConfig, ipam: IpamModuleOptions = {}): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(config), IpamModule.forRoot(config, ipam)] };
  }
}
