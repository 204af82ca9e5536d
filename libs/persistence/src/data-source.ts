import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
// TypeORM takes entity and migration classes as plain constructors.
type Classes = NonNullable<DataSourceOptions['entities']>;
type MigrationClasses = NonNullable<DataSourceOptions['migrations']>;

/**
 * A Postgres DataSource over the tables one owner may touch (api-gateway: the object store;
 * network-svc: IPAM). Migrations are the migration runner's (@skiff/migrations) alone.
 */
export function createDataSource(
  databaseUrl: string,
  tables: { entities?: Classes; migrations?: MigrationClasses },
  poolSize = 20,
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: tables.entities ?? [],
    migrations: tables.migrations ?? [],
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
