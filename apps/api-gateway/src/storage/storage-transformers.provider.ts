import { Provider } from '@nestjs/common';
import { EncryptionConfigError, parseEncryptionConfiguration, StorageTransformers } from '@skiff/api-server';
import { ApiGatewayConfig } from '@skiff/config';
import { readConfigFile } from '../platform/config-file';

/**
 * The storage transformers from SKIFF_ENCRYPTION_CONFIG, read while the module is built, so a missing or invalid key
 * file stops the gateway at boot with a message naming the variable.
 */
export function storageTransformersProvider(config: ApiGatewayConfig): Provider {
  const rules = readConfigFile(
    'SKIFF_ENCRYPTION_CONFIG',
    config.encryptionConfigFile,
    parseEncryptionConfiguration,
    EncryptionConfigError,
  );
  return { provide: StorageTransformers, useValue: new StorageTransformers(rules) };
}
