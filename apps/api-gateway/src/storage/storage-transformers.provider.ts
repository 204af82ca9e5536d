import { Provider } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { EncryptionConfigError, parseEncryptionConfiguration, StorageTransformers } from '@skiff/api-server';
import { ApiGatewayConfig, ConfigError } from '@skiff/config';
import { readFileSync } from 'node:fs';

/**
 * The storage transformers from SKIFF_ENCRYPTION_CONFIG, read while the module is built, so a missing or invalid key
 * file stops the gateway at boot with a message naming the variable.
 */
export function storageTransformersProvider(config: ApiGatewayConfig): Provider {
  const file = config.encryptionConfigFile;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('SKIFF_ENCRYPTION_CONFIG', `cannot read ${file}: ${errorMessage(err)}`);
  }
  try {
    return { provide: StorageTransformers, useValue: new StorageTransformers(parseEncryptionConfiguration(text)) };
  } catch (err) {
    if (err instanceof EncryptionConfigError)
      throw new ConfigError('SKIFF_ENCRYPTION_CONFIG', `${file}: ${err.message}`);
    throw err;
  }
}
