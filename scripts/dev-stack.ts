// The foreground half of `npm start`: migrations, credentials, kubeconfig, services; Ctrl-C stops all.
import { loadApiGatewayConfig, ConfigError } from '@skiff/config';
import { startStack } from '@skiff/stack';
import * as path from 'node:path';
import { errorMessage } from '@skiff/api-machinery';

async function main(): Promise<void> {
  const config = loadApiGatewayConfig();
  const stack = await startStack({
    stateDir: config.stateDir,
    databaseUrl: config.databaseUrl,
    natsUrl: config.natsUrl,
    redisUrl: config.redisUrl,
    apiPort: config.port,
    services: ['api-gateway', 'network-svc', 'storage-svc', 'log-svc', 'scheduler', 'sandbox-agent'],
  });
  const rel = path.relative(process.cwd(), stack.kubeconfig);
  console.log(
    `\n  Skiff is up at ${stack.server}\n  kubectl --kubeconfig ${rel} get --raw /readyz\n  kubectl --kubeconfig ${rel} get ns\n\n  Ctrl-C stops it.\n`,
  );
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('stopping Skiff...');
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  for (const s of stack.services.values()) {
    void s.exited.then((code) => {
      if (!stopping) {
        console.error(`${s.name} exited unexpectedly (code ${code}); stopping the stack`);
        void shutdown(1);
      }
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `npm start failed: ${errorMessage(err)}`);
  process.exit(1);
});
