// Starts (if needed) the local docker-registry mirror and seeds it with library/busybox built from busybox-static
// and networkstatic/iperf3 built from the host's iperf3.
// Usage (after `npm run build`): node dist/scripts/seed-registry.js [--state-dir DIR] [--port 5000] [--keep-running]
import { connect } from 'node:net';
import { BusyboxImageBuilder, HostToolImageBuilder, IPERF3_IMAGE, RegistryProcess } from '@skiff/dev-registry';
import * as path from 'node:path';
import { errorMessage } from '@skiff/api-machinery';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const stateDir = path.resolve(flag('state-dir', process.env.SKIFF_STATE_DIR ?? '.skiff'), 'registry');
  const port = Number(flag('port', process.env.SKIFF_REGISTRY_PORT ?? '5000'));
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`--port / SKIFF_REGISTRY_PORT: "${port}" is not a port`);
  const registry = new RegistryProcess({ stateDir, port });
  const ours = !(await listening(port));
  if (ours) await registry.start();
  try {
    for (const builder of [new BusyboxImageBuilder(), new HostToolImageBuilder(IPERF3_IMAGE)]) {
      const result = await builder.seed({ registry: registry.endpoint, workDir: stateDir });
      const tags = result.tags.map((t) => `${registry.endpoint}/${builder.image.repository}:${t}`).join(', ');
      console.log(result.pushed ? `seeded ${tags}` : `already seeded: ${tags}`);
    }
  } finally {
    if (ours && !process.argv.includes('--keep-running')) await registry.stop();
  }
  if (ours && process.argv.includes('--keep-running')) {
    console.log(`docker-registry listening on ${registry.endpoint} (pid ${registry.pid}); Ctrl-C stops it`);
    const stop = (): void => void registry.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
}

main().catch((err: unknown) => {
  console.error(`seed-registry failed: ${errorMessage(err)}`);
  process.exit(1);
});
