import { ConfigError, loadInfraConfig } from '@skiff/config';
import { migrate } from './migrate';
import { errorMessage } from '@skiff/api-machinery';

async function main(): Promise<void> {
  const { databaseUrl } = loadInfraConfig();
  const applied = await migrate(databaseUrl);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `migration failed: ${errorMessage(err)}`);
  process.exit(1);
});
