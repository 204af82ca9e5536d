import { ChildProcess, spawn } from 'node:child_process';
import { compiledEntry, repoRoot } from './repo-root';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** SIGTERM by PID, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env: Record<string, string>;
  /** Each output line is handed here (prefixing, capture); defaults to stdout with a prefix. */
  onLine?: (line: string) => void;
}

/** Runs one Skiff service, compiled (`dist/apps/<name>/src/main.js`), as a child process. */
export function spawnService(name: string, opts: SpawnOptions): ServiceProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', compiledEntry('apps', name, 'src', 'main.js')], {
    cwd: repoRoot(),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onLine = opts.onLine ?? ((line: string) => process.stdout.write(`[${name}] ${line}\n`));
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    exited,
    async stop(graceMs = 10_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
