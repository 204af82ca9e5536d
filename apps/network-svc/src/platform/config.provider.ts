import { Provider } from '@nestjs/common';
import { loadNetworkSvcConfig, NetworkSvcConfig } from '@skiff/config';

export const NETWORK_SVC_CONFIG = Symbol('NETWORK_SVC_CONFIG');

export function configProvider(config: NetworkSvcConfig = loadNetworkSvcConfig()): Provider {
  return { provide: NETWORK_SVC_CONFIG, useValue: config };
}
