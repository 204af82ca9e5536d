import { IPAM_ENTITIES } from '@skiff/ipam-schema';
import { dataSourceProvider } from '@skiff/persistence';
import { NETWORK_SVC_CONFIG } from './config.provider';

// A small pool: allocations serialize on the cursor row anyway.
export const databaseProvider = dataSourceProvider(NETWORK_SVC_CONFIG, IPAM_ENTITIES, 8);
