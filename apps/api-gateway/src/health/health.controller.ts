import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '../platform/database.provider';
import { NATS_CONNECTION } from '../platform/nats.provider';
import { WatchCacheService } from '../storage/watch-cache.service';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-skiff' };

/** /healthz, /livez, /readyz and /version: public, like upstream's system:public-info-viewer. */
@Controller()
export class HealthController {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly watchCache: WatchCacheService,
  ) {}

  @Get(['healthz', 'livez'])
  live(): string {
    return 'ok';
  }

  @Get('readyz')
  async ready(@Query('verbose') verbose: string | undefined, @Res() res: Response): Promise<void> {
    const checks: [string, boolean][] = [
      [
        'postgres',
        await this.ds.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      ],
      ['nats', !this.nc.isClosed() && !this.nc.isDraining() && this.nc.info !== undefined],
      ['watch-cache', this.watchCache.isReady()],
    ];
    const ok = checks.every(([, pass]) => pass);
    const lines = checks.map(
      ([name, pass]) => `[${pass ? '+' : '-'}]${name} ${pass ? 'ok' : 'failed: reason withheld'}`,
    );
    const body =
      verbose !== undefined || !ok ? `${lines.join('\n')}\nreadyz check ${ok ? 'passed' : 'failed'}\n` : 'ok';
    res
      .status(ok ? 200 : 500)
      .type('text/plain')
      .send(body);
  }

  @Get('version')
  version(): Record<string, string> {
    return {
      ...KUBERNETES_VERSION,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '2026-11-26T00:00:00Z',
      goVersion: `node${process.versions.node}`,
      compiler: 'skiff',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    };
  }
}
