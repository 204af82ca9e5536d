import { ChildProcess, spawn, SpawnOptions, StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';

export interface RunOptions {
  /** Written to stdin, then stdin is closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed with SIGKILL after this long; default 60 s. */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Send stdout+stderr to this file instead of pipes (returned as `stderr`): for tools that leave children
   * holding their stdio, which would otherwise die of SIGPIPE once we stop reading. */
  outputFile?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SpawnRequest {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdio?: StdioOptions;
  detached?: boolean;
}

/** A command that failed; `stderr` keeps the tool's own words (skopeo, runc, ip) for the caller to surface. */
export class ProcessError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
    readonly stdout: string,
    readonly timedOut = false,
  ) {
    super(
      `${command} ${timedOut ? 'timed out' : `exited ${code}`}: ${(stderr.trim() || stdout.trim()).slice(0, 2000)}`,
    );
    this.name = 'ProcessError';
  }
}

const EXIT_DRAIN_MS = 2_000;

/** The one door to host binaries (runc, runsc, conmon, skopeo, umoci, ip, nft, mount): every call goes through it. */
export class ProcessRunner {
  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<RunResult>((resolve, reject) => {
      const fileFd = options.outputFile ? openSync(options.outputFile, 'a') : undefined;
      const fileStart = options.outputFile ? statSync(options.outputFile).size : 0;
      let child: ChildProcess;
      try {
        child = spawn(command, [...args], {
          env: options.env ?? process.env,
          cwd: options.cwd,
          stdio: fileFd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', fileFd, fileFd],
        });
      } finally {
        if (fileFd !== undefined) closeSync(fileFd);
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ProcessError(describe(command, args), null, e.message, ''));
      });
      let settled = false;
      const finish = (code: number | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (options.outputFile) err.push(readFileSync(options.outputFile).subarray(fileStart));
        const result = {
          code: code ?? -1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        };
        if (timedOut) reject(new ProcessError(describe(command, args), code, result.stderr, result.stdout, true));
        else if (result.code !== 0 && !options.allowFailure)
          reject(new ProcessError(describe(command, args), code, result.stderr, result.stdout));
        else resolve(result);
      };
      child.on('close', (code) => finish(code));
      // A tool that leaves a child holding our pipes never 'close's them: after the exit, let the pipes drain
      // (on a busy host that takes a while: finishing early loses output, e.g. CNI's JSON), then stop waiting
      // (use outputFile for such tools so the child is not hit by SIGPIPE later).
      child.on('exit', (code) => setTimeout(() => finish(code), EXIT_DRAIN_MS).unref());
      // EPIPE when the tool exits without reading stdin is not an error of ours.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input ?? '');
    });
  }

  /** A long-lived child (conmon, docker-registry, runc exec) whose stdio the caller owns. */
  spawn(command: string, args: readonly string[], request: SpawnRequest = {}): ChildProcess {
    const options: SpawnOptions = {
      env: request.env ?? process.env,
      cwd: request.cwd,
      stdio: request.stdio ?? 'pipe',
      detached: request.detached,
    };
    return spawn(command, [...args], options);
  }

  /** Sends a signal to one PID; false when it no longer exists. */
  signal(pid: number, signal: NodeJS.Signals): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

function describe(command: string, args: readonly string[]): string {
  return [command, ...args.slice(0, 3)].join(' ');
}
