import { dataSourceProvider } from '@skiff/persistence';
import { LOG_SVC_CONFIG } from './config.provider';

// No entities: log-svc's tables are written in bulk (unnest arrays) and read with built SQL, both plain queries.
export const databaseProvider = dataSourceProvider(LOG_SVC_CONFIG, [], 8);
