import { Provider } from '@nestjs/common';
import { StorageSvcConfig } from '@skiff/config';

export const STORAGE_SVC_CONFIG = Symbol('STORAGE_SVC_CONFIG');

export function configProvider(config: StorageSvcConfig): Provider {
  return { provide: STORAGE_SVC_CONFIG, useValue: config };
}
