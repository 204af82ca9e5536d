import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { SchedulerConfig } from '@skiff/config';
import { ChartPackage, HelmRenderer, indexOf, packageChart } from '@skiff/helm-engine';
import { existsSync, promises as fs } from 'node:fs';
import { createServer, Server } from 'node:http';
import * as path from 'node:path';
import { SCHEDULER_CONFIG } from '../platform/scheduler.providers';

/**
 * The project's chart repository (docs/charts.md): every chart directory under SKIFF_CHART_DIR packaged at start and
 * served with its index.yaml over HTTP on SKIFF_CHART_REPO_LISTEN (loopback by default), as `helm repo add` and a
 * HelmRepository expect. Replicas serve it alike; a second replica on the same address leaves it to the first.
 */
@Injectable()
export class ChartRepositoryServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('chart-repository');
  private server?: Server;
  private files = new Map<string, { type: string; body: Buffer }>();

  constructor(@Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const { dir, host, port } = this.config.chartRepository;
    try {
      this.files = await this.packageAll(dir);
    } catch (err) {
      this.log.error(`cannot package the charts of ${dir}: ${errorMessage(err)}`);
      return;
    }
    const server = createServer((req, res) => {
      const file = this.files.get(decodeURIComponent((req.url ?? '/').split('?')[0]));
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      } else if (!file) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      } else {
        res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length });
        res.end(req.method === 'HEAD' ? undefined : file.body);
      }
    });
    await new Promise<void>((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') this.log.warn(`${host}:${port} is taken: another replica serves the charts`);
        else this.log.error(`cannot serve the chart repository on ${host}:${port}: ${err.message}`);
        resolve();
      });
      server.listen(port, host, () => {
        this.server = server;
        this.log.log(`serving ${this.files.size - 1} chart(s) of ${dir} at http://${host}:${port}/`);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private async packageAll(dir: string): Promise<Map<string, { type: string; body: Buffer }>> {
    const packages: ChartPackage[] = [];
    const entries = existsSync(dir) ? await fs.readdir(dir, { withFileTypes: true }) : [];
    for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)))
      if (existsSync(path.join(dir, e.name, 'Chart.yaml'))) packages.push(await packageChart(path.join(dir, e.name)));
    const renderer = await HelmRenderer.load();
    const index = indexOf(renderer, packages, new Date());
    const files = new Map<string, { type: string; body: Buffer }>();
    files.set('/index.yaml', { type: 'text/yaml', body: Buffer.from(renderer.toYaml(index)) });
    for (const p of packages) files.set(`/${p.fileName}`, { type: 'application/gzip', body: p.archive });
    return files;
  }
}
