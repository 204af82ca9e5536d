import { mkdtempSync, rmSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LogCollector, PodLogPaths } from './log-collector';

/** The time CRI log lines written by the fixture carry. */
export const CRI_TIME = '2026-01-02T03:04:05.000000001+00:00';

/**
 * Each test's own directory for the pods' container logs and volumes and the collector's state; the collectors a test
 * starts are stopped after it, then the directory is removed.
 */
export class CollectorTestDir {
  root = '';
  private readonly collectors: LogCollector[] = [];

  constructor(prefix: string) {
    beforeEach(() => {
      this.root = mkdtempSync(path.join(tmpdir(), prefix));
    });
    afterEach(async () => {
      for (const c of this.collectors.splice(0)) await c.stop();
      rmSync(this.root, { recursive: true, force: true });
    });
  }

  readonly paths: PodLogPaths = {
    containerLogDir: (uid, container) => path.join(this.root, 'logs', uid, container),
    volumeDir: (uid, volume) => path.join(this.root, 'volumes', uid, volume),
  };

  get stateDir(): string {
    return path.join(this.root, 'state');
  }

  /** Stops the collector after the test. */
  started(c: LogCollector): LogCollector {
    this.collectors.push(c);
    return c;
  }

  /** Appends lines to the container's stdout as CRI writes it. */
  stdout(uid: string, container: string, ...lines: string[]): void {
    const dir = this.paths.containerLogDir(uid, container);
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, '0.log'), lines.map((l) => `${CRI_TIME} stdout F ${l}\n`).join(''));
  }
}
