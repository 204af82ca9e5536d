import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EniAllocationEntity } from './entities/eni-allocation.entity';
import { IpamCursorEntity } from './entities/ipam-cursor.entity';
import { ObjectChangeEntity } from './entities/object-change.entity';
import { ResourceVersionCounterEntity } from './entities/resource-version-counter.entity';
import { StoredObjectEntity } from './entities/stored-object.entity';
import { ObjectStore1764129600000 } from './migrations/1764129600000-object-store';
import { EniAllocations1764400000000 } from './migrations/1764400000000-eni-allocations';

export const ENTITIES = [StoredObjectEntity, ObjectChangeEntity, ResourceVersionCounterEntity, EniAllocationEntity, IpamCursorEntity];
export const MIGRATIONS = [ObjectStore1764129600000, EniAllocations1764400000000];

export function createDataSource(databaseUrl: string, poolSize = 20): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'skiff_migrations',
    extra: { max: poolSize },
    logging: false,
  });
}

/** Creates the database named in the URL when the server does not have it yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`DATABASE_URL: unsupported database name "${name}"`);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  } catch (err) {
    // Two starters racing to create it: the loser sees "already exists", which is fine.
    if (!(err instanceof Error && /already exists/.test(err.message))) throw err;
  } finally {
    await admin.end();
  }
}

/** Creates the database if needed and applies pending migrations. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const ds = createDataSource(databaseUrl, 2);
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
