import { ConfigError, loadInfraConfig } from '@skiff/config';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const { databaseUrl } = loadInfraConfig();
  const applied = await migrate(databaseUrl);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `migration failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
