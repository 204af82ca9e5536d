import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { BusyboxImageBuilder } from './busybox-image.builder';
import { HostToolImageBuilder, IPERF3_IMAGE } from './host-tool-image.builder';
import { RegistryProcess } from './registry.process';

/**
 * A docker-registry of a test's own (free loopback port, own storage) seeded with busybox and iperf3; stop() kills
 * it by PID.
 */
export class TestRegistry {
  private constructor(
    readonly registry: RegistryProcess,
    readonly dir: string,
  ) {}

  static async start(dir: string): Promise<TestRegistry> {
    await fs.mkdir(dir, { recursive: true });
    const registry = new RegistryProcess({ stateDir: dir, port: await freePort() });
    await registry.start();
    for (const builder of [new BusyboxImageBuilder(), new HostToolImageBuilder(IPERF3_IMAGE)])
      await builder.seed({ registry: registry.endpoint, workDir: dir });
    return new TestRegistry(registry, dir);
  }

  get endpoint(): string {
    return this.registry.endpoint;
  }

  async stop(): Promise<void> {
    await this.registry.stop();
    await fs.rm(path.join(this.dir, 'data'), { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
