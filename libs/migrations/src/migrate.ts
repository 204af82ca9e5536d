import { IPAM_MIGRATIONS } from '@skiff/ipam-schema';
import { LOG_MIGRATIONS } from '@skiff/log-schema';
import { OBJECT_STORE_MIGRATIONS } from '@skiff/object-store-schema';
import { STORAGE_MIGRATIONS } from '@skiff/storage-schema';
import { createDataSource, ensureDatabase } from '@skiff/persistence';

/** Creates the database if needed and applies every owner's pending migrations, in order. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const ds = createDataSource(
    databaseUrl,
    { migrations: [...OBJECT_STORE_MIGRATIONS, ...IPAM_MIGRATIONS, ...STORAGE_MIGRATIONS, ...LOG_MIGRATIONS] },
    2,
  );
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
