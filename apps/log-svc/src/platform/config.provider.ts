import { Provider } from '@nestjs/common';
import { LogSvcConfig } from '@skiff/config';

export const LOG_SVC_CONFIG = Symbol('LOG_SVC_CONFIG');

export function configProvider(config: LogSvcConfig): Provider {
  return { provide: LOG_SVC_CONFIG, useValue: config };
}
