// One-shot set-up for a multi-container deployment (docker-compose.yml): migrations, the CA,
// the API server's certificate (also for the names in SKIFF_API_SERVER_NAMES), the admin token
// and a kubeconfig for SKIFF_KUBECONFIG_SERVER, all under SKIFF_STATE_DIR. Idempotent.
import { ConfigError, EnvReader, loadInfraConfig } from '@skiff/config';
import { prepareCluster } from '@skiff/stack';
import * as path from 'node:path';
import { errorMessage } from '@skiff/api-machinery';

async function main(): Promise<void> {
  const env = new EnvReader();
  const { databaseUrl } = loadInfraConfig(env);
  const stateDir = path.resolve(env.string('SKIFF_STATE_DIR', '.skiff'));
  const server = env.string('SKIFF_KUBECONFIG_SERVER', 'https://127.0.0.1:6443');
  const serverNames = env.string('SKIFF_API_SERVER_NAMES', '').split(',').filter(Boolean);
  const { kubeconfig } = await prepareCluster({ stateDir, databaseUrl, server, serverNames });
  console.log(`cluster prepared; kubeconfig at ${kubeconfig}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `prepare failed: ${errorMessage(err)}`);
  process.exit(1);
});
