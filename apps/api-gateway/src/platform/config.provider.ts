import { Provider } from '@nestjs/common';
import { ApiGatewayConfig, loadApiGatewayConfig } from '@skiff/config';

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function configProvider(config: ApiGatewayConfig = loadApiGatewayConfig()): Provider {
  return { provide: GATEWAY_CONFIG, useValue: config };
}
