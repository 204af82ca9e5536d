import { DynamicModule, Module } from '@nestjs/common';
import { StorageSvcConfig } from '@skiff/config';
import { StorageControllersModule } from './controllers/storage-controllers.module';
import { PlatformModule } from './platform/platform.module';

@Module({})
export class AppModule {
  static forRoot(config: StorageSvcConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(config), StorageControllersModule] };
  }
}
