import { dataSourceProvider } from '@skiff/persistence';
import { STORAGE_ENTITIES } from '@skiff/storage-schema';
import { STORAGE_SVC_CONFIG } from './config.provider';

export const databaseProvider = dataSourceProvider(STORAGE_SVC_CONFIG, STORAGE_ENTITIES, 4);
